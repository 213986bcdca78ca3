"""Messaging's own periodic work, registered with the in-process worker and Celery beat."""

from .reports import send_distribution_reports
from .worker import register_periodic

register_periodic("messaging.distribution_reports", send_distribution_reports, every_seconds=30)
