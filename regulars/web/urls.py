"""Back office and public pages; each area keeps its own URL module."""

from django.urls import include, path

app_name = "web"

urlpatterns = [
    path("", include("regulars.web.shell.urls")),
    path("customers/", include("regulars.web.customers.urls")),
    path("imports/", include("regulars.web.imports.urls")),
    path("segments/", include("regulars.web.segments.urls")),
    path("campaigns/", include("regulars.web.campaigns.urls")),
    path("triggers/", include("regulars.web.triggers.urls")),
    path("loyalty/", include("regulars.web.loyalty.urls")),
    path("statistics/", include("regulars.web.statistics.urls")),
    # Public pages, no staff login: the customer page and tracking/unsubscribe links.
    path("me/", include("regulars.web.portal.urls")),
    path("t/", include("regulars.web.tracking.urls")),
]
