from django.urls import path

from . import views

urlpatterns = [
    path("", views.segment_list, name="segments"),
    path("new/", views.segment_builder, name="segment_new"),
    path("count/", views.segment_count, name="segment_count"),
    path("save/", views.segment_save, name="segment_save"),
    path("<int:segment_id>/", views.segment_builder, name="segment"),
    path("<int:segment_id>/remove/", views.segment_remove, name="segment_remove"),
    path("<int:segment_id>/restore/", views.segment_restore, name="segment_restore"),
    path("<int:segment_id>/export/", views.segment_export, name="segment_export"),
    path("<int:segment_id>/tag/", views.segment_tag, name="segment_tag"),
    path("<int:segment_id>/views/", views.view_create, name="segment_view_create"),
    path("views/<int:view_id>/remove/", views.view_remove, name="segment_view_remove"),
    path("views/<int:view_id>/export/", views.view_export, name="segment_view_export"),
]
