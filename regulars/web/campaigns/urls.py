from django.urls import path

from . import views

urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("new/", views.campaign_edit, name="campaign_new"),
    path("<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:campaign_id>/generate/", views.campaign_generate, name="campaign_generate"),
    path("<int:campaign_id>/add/", views.campaign_add_recipient, name="campaign_add_recipient"),
    path("<int:campaign_id>/distribute/", views.campaign_distribute, name="campaign_distribute"),
    path("<int:campaign_id>/resend/", views.campaign_resend, name="campaign_resend"),
    path("<int:campaign_id>/export/", views.campaign_export, name="campaign_export"),
    path("<int:campaign_id>/letters.pdf", views.campaign_letters, name="campaign_letters"),
    path("<int:campaign_id>/preview/", views.campaign_preview, name="campaign_preview"),
    path("articles/", views.article_list, name="campaign_articles"),
    path("articles/new/", views.article_edit, name="campaign_article_new"),
    path("articles/<int:article_id>/", views.article_edit, name="campaign_article"),
    path("templates/", views.template_list, name="campaign_templates"),
    path("templates/new/", views.template_edit, name="campaign_template_new"),
    path("templates/<int:template_id>/", views.template_edit, name="campaign_template"),
    path("layout/", views.layout_edit, name="campaign_layout"),
    path("layout/preview/", views.layout_preview, name="campaign_layout_preview"),
    path("link-mail/", views.link_mail, name="campaign_link_mail"),
    path("outbox/", views.outbox_list, name="campaign_outbox"),
    path("outbox/<str:name>", views.outbox_message, name="campaign_outbox_message"),
]
