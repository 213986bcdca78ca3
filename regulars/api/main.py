"""The REST API (DATA-8): one NinjaAPI, one router module per domain."""

from ninja import NinjaAPI

from . import customers, imports, loyalty, messaging, segments
from .auth import OrganisationToken

api = NinjaAPI(
    title="Regulars API",
    version="1",
    urls_namespace="api",
    auth=OrganisationToken(),
    description="Integrations: customers, sales, bookings, tickets, segments, loyalty at the till.",
)
api.add_router("/customers", customers.router)
api.add_router("/imports", imports.router)
api.add_router("/segments", segments.router)
api.add_router("/messaging", messaging.router)
api.add_router("/loyalty", loyalty.router)
