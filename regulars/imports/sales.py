"""Sales rows (SPEC 9.2): one row per line; a receipt is identified by receipt_id and
re-importing it replaces all of its lines. The receipt's time, channel and customer come
from its first row."""

from regulars.commerce.actions import SaleData, SaleLineData, save_sales
from regulars.commerce.models import SaleChannel

from .base import Importer, OwnedRow
from .cells import parse_cents, parse_choice, parse_datetime, parse_int, parse_text
from .report import Row


class SaleImporter(Importer[OwnedRow]):
    kind = "sales"
    id_column = "receipt_id"
    required_columns = ("receipt_id", "sold_at", "channel", "item_number", "quantity", "unit_price")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Receipts already written by this import: their later rows add lines.
        self.receipts_written: set[str] = set()

    def parse(self, row: Row) -> OwnedRow | None:
        receipt_id = row.value("receipt_id", parse_text, 100, required=True)
        customer_external_id = row.value("customer_external_id", parse_text, 100) or ""
        sold_at = row.value("sold_at", parse_datetime, self.tz, required=True)
        channel = row.value("channel", parse_choice, SaleChannel.values, required=True)
        item_number = row.value("item_number", parse_text, 50, required=True)
        item_name = row.value("item_name", parse_text, 200) or ""
        item_group = row.value("item_group", parse_text, 100) or ""
        quantity = row.value("quantity", parse_int, required=True)
        unit_price = row.value("unit_price", parse_cents, required=True)
        discount = row.value("discount", parse_cents) or 0
        amount = row.value("amount", parse_cents)
        if not row.ok:
            return None
        assert receipt_id and sold_at and channel and item_number
        assert quantity is not None and unit_price is not None
        line = SaleLineData(
            item_number=item_number,
            item_name=item_name,
            item_group=item_group,
            quantity=quantity,
            unit_price_cents=unit_price,
            discount_cents=discount,
            amount_cents=quantity * unit_price - discount if amount is None else amount,
        )
        sale = SaleData(receipt_id, None, sold_at, channel, [line])
        return OwnedRow(row.line, customer_external_id, sale)

    def resolve(self, chunk: list[OwnedRow]) -> None:
        self.match_customers(chunk)

    def write(self, chunk: list[OwnedRow]) -> None:
        receipts: dict[str, SaleData] = {}
        for item in chunk:
            receipt = receipts.get(item.data.receipt_id)
            if receipt is None:
                receipt = receipts[item.data.receipt_id] = item.data
                receipt.replace = receipt.receipt_id not in self.receipts_written
            else:
                receipt.lines.extend(item.data.lines)
        counts = save_sales(organisation=self.organisation, sales=list(receipts.values()))
        self.receipts_written.update(receipts)
        self.report.created += counts.created
        self.report.updated += counts.updated
