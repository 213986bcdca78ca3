"""Per-customer purchase totals, kept on Customer as a cache of sale lines and tickets.

Segment criteria on the last purchase and on lifetime ticket totals read these columns
(one row per customer) instead of aggregating millions of lines. Every writer of sale
lines or tickets calls `refresh_purchase_totals` for the customers it touched, in the
same transaction; the totals are recomputed from the rows (`sql.refresh_totals`), so a
replaced receipt or an order moved to another customer leaves both customers right.
The till, which only adds lines, moves the last purchase forward itself
(`loyalty.sql.advance_last_purchase`).
"""

from collections.abc import Iterable

from regulars.orgs.models import Organisation

from .sql import refresh_totals

CHUNK = 500


def refresh_purchase_totals(
    *, organisation: Organisation, customer_ids: Iterable[int | None] | None = None
) -> None:
    """Recompute the totals of these customers (None: all of the organisation's)."""
    if customer_ids is None:
        refresh_totals(organisation.pk)
        return
    ids = sorted({pk for pk in customer_ids if pk is not None})
    for start in range(0, len(ids), CHUNK):
        refresh_totals(organisation.pk, ids[start : start + CHUNK])
