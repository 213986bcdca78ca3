from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "regulars.customers"
    label = "customers"
