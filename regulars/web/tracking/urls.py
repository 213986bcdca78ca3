from django.urls import include, path

from . import views

urlpatterns = [
    path("o/<int:message_id>/<str:token>.gif", views.open_pixel, name="tracking_open"),
    path("c/<int:message_id>/<str:token>/", views.click, name="tracking_click"),
    path("u/<int:message_id>/<str:token>/", views.unsubscribe, name="tracking_unsubscribe"),
    path("a/<slug:slug>/<int:article_id>/", views.article, name="tracking_article"),
    path("sms/<slug:slug>/<str:gateway>/", views.sms_reply, name="tracking_sms_reply"),
    # E-mail services' delivery, bounce, complaint, open and click webhooks (INT-3):
    # /t/anymail/<esp>/tracking/, signatures verified by anymail.
    path("anymail/", include("anymail.urls")),
]
