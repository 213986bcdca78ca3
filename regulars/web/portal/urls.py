from django.urls import path

from . import views

urlpatterns = [
    path("<str:token>/", views.page, name="portal"),
    path("<str:token>/gift-cards/<int:product_id>/", views.buy, name="portal_buy"),
    path("<str:token>/consents/", views.consents, name="portal_consents"),
    path("<str:token>/unsubscribe/", views.unsubscribe, name="portal_unsubscribe"),
]
