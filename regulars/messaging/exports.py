"""Export a campaign's recipient list as CSV or Excel (MSG-6, seed 004)."""

import csv
import io

from openpyxl import Workbook

from .models import Campaign
from .queries import recipient_log

COLUMNS = ["external_id", "first_name", "last_name", "email", "mobile", "status", "reason"]


def recipient_rows(campaign: Campaign):
    for row in recipient_log(campaign):
        customer = row.recipient.customer
        yield [
            customer.external_id or "",
            customer.first_name,
            customer.last_name,
            customer.email,
            customer.mobile,
            row.status,
            row.reason,
        ]


def export_recipients(campaign: Campaign, file_format: str) -> bytes:
    """The recipient list as `csv` (UTF-8, header row) or `xlsx`."""
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerows(recipient_rows(campaign))
        return buffer.getvalue().encode()
    if file_format == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("recipients")
        sheet.append(COLUMNS)
        for row in recipient_rows(campaign):
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"unknown export format {file_format!r}; use csv or xlsx")
