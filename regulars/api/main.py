"""The REST API (DATA-8): one NinjaAPI, routers per domain."""

from ninja import NinjaAPI

api = NinjaAPI(title="Regulars API", version="1", urls_namespace="api")
