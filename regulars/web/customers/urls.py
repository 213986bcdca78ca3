from django.urls import path

from . import views

urlpatterns = [
    path("", views.customer_list, name="customers"),
    path("<int:customer_id>/", views.customer_detail, name="customer"),
    path("<int:customer_id>/edit/", views.customer_edit, name="customer_edit"),
]
