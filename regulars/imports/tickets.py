"""Ticket rows (SPEC 9.2): one row per order and event; an order is identified by
order_id and re-importing it replaces all of its tickets. Events, productions and venues
are created or updated on the fly."""

from regulars.commerce.actions import EventData, TicketData, TicketOrderData, save_ticket_orders
from regulars.commerce.models import TicketChannel

from .base import Importer, OwnedRow
from .cells import parse_cents, parse_choice, parse_datetime, parse_float, parse_int, parse_text
from .report import Row


class TicketImporter(Importer[OwnedRow]):
    kind = "tickets"
    id_column = "order_id"
    required_columns = (
        "order_id",
        "ordered_at",
        "channel",
        "production",
        "event_id",
        "event_start",
        "tickets",
        "amount",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.orders_written: set[str] = set()

    def parse(self, row: Row) -> OwnedRow | None:
        order_id = row.value("order_id", parse_text, 100, required=True)
        customer_external_id = row.value("customer_external_id", parse_text, 100) or ""
        ordered_at = row.value("ordered_at", parse_datetime, self.tz, required=True)
        channel = row.value("channel", parse_choice, TicketChannel.values, required=True)
        event = EventData(
            event_id=row.value("event_id", parse_text, 100, required=True) or "",
            production=row.value("production", parse_text, 200, required=True) or "",
            start=row.value("event_start", parse_datetime, self.tz, required=True),  # type: ignore[arg-type]
            venue=row.value("venue", parse_text, 200) or "",
            venue_latitude=row.value("venue_latitude", parse_float, -90, 90),
            venue_longitude=row.value("venue_longitude", parse_float, -180, 180),
        )
        quantity = row.value("tickets", parse_int, 0, required=True)
        amount = row.value("amount", parse_cents, required=True)
        if not row.ok:
            return None
        assert order_id and ordered_at and channel and quantity is not None and amount is not None
        order = TicketOrderData(
            order_id, None, ordered_at, channel, [TicketData(event, quantity, amount)]
        )
        return OwnedRow(row.line, customer_external_id, order)

    def resolve(self, chunk: list[OwnedRow]) -> None:
        self.match_customers(chunk)

    def write(self, chunk: list[OwnedRow]) -> None:
        orders: dict[str, TicketOrderData] = {}
        for item in chunk:
            order = orders.get(item.data.order_id)
            if order is None:
                order = orders[item.data.order_id] = item.data
                order.replace = order.order_id not in self.orders_written
            else:
                order.tickets.extend(item.data.tickets)
        counts = save_ticket_orders(organisation=self.organisation, orders=list(orders.values()))
        self.orders_written.update(orders)
        self.report.created += counts.created
        self.report.updated += counts.updated
