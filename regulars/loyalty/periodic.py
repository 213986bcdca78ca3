"""Periodic loyalty work, found by the messaging worker's autodiscovery."""

from regulars.messaging.worker import register_periodic

from .bookings import credit_due_bookings
from .idempotency import purge_idempotency_keys

register_periodic("loyalty.credit_due_bookings", credit_due_bookings, every_seconds=300)
register_periodic("loyalty.purge_idempotency_keys", purge_idempotency_keys, every_seconds=3600)
