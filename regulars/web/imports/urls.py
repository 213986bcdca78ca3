from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_page, name="imports"),
    path("jobs/<int:pk>/", views.import_job, name="import_job"),
]
