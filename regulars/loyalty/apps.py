from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "regulars.loyalty"
    label = "loyalty"
