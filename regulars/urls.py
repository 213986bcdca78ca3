from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("regulars.api.urls")),
    path("", include("regulars.web.urls")),
]
