from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import path, re_path
from django.views.static import serve as serve_media

from . import settings_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.StaffPasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="web/auth/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.StaffPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="web/auth/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("language/", views.set_language, name="set_language"),
    path("organisation/", views.switch_organisation, name="switch_organisation"),
    path("settings/", settings_views.organisation_profile, name="settings"),
    path("settings/staff/", settings_views.staff, name="settings_staff"),
    path("settings/tokens/", settings_views.api_tokens, name="settings_tokens"),
    path(
        "settings/tokens/<int:token_id>/revoke/",
        settings_views.revoke_token,
        name="settings_token_revoke",
    ),
]

if not settings.PRODUCTION:
    # The embedded/demo mode serves its own static files and uploads, so it works
    # offline with nothing but Python; production puts a web server in front.
    urlpatterns += [
        re_path(r"^static/(?P<path>.*)$", serve_static, {"insecure": True}),
        re_path(r"^media/(?P<path>.*)$", serve_media, {"document_root": settings.MEDIA_ROOT}),
    ]
