from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "regulars.orgs"
    label = "orgs"
