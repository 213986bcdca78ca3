"""Hand-written SQL on the hot path of delivery, where the ORM's overhead is most of the cost."""

import operator

from django.db import connection, transaction

# One row by primary key; the claim condition keeps a re-claimed row from being marked by
# the worker that lost it.
MARK_SENT = """
UPDATE messaging_message
   SET status = 'sent', sent_at = %s, provider_id = %s, last_error = ''
 WHERE id = %s AND claimed_by = %s AND status = 'sending'
"""


MARK_SENT_SQLITE = MARK_SENT.replace("%s", "?")


def mark_sent(sent: list[tuple[int, str, str]], sent_at) -> None:
    """Mark messages (id, claim, provider id) sent: one statement, or one transaction."""
    at = connection.ops.adapt_datetimefield_value(sent_at)
    params = [(at, provider_id, message_id, claim) for message_id, claim, provider_id in sent]
    if len(params) > 1:
        with transaction.atomic():
            _execute_mark_sent(params)
    elif params:
        _execute_mark_sent(params)


def _execute_mark_sent(params: list[tuple]) -> None:
    if connection.vendor == "sqlite":
        # Straight on the driver's connection (its statement cache keeps the statement
        # prepared), not through a new Django cursor, which doubles the cost. Autocommit
        # or the caller's transaction, as any query on this connection.
        connection.ensure_connection()
        connection.connection.executemany(MARK_SENT_SQLITE, params)
        return
    with connection.cursor() as cursor:
        cursor.executemany(MARK_SENT, params)


# Due rows oldest first in the message_due index's order (status, next_attempt_at, id), so
# LIMIT stops after `limit` index entries; claimed and returned in one statement.
# PostgreSQL: SKIP LOCKED passes over rows another worker is claiming; ARRAY(…) runs the
# subquery once (as `IN (…)` the planner may rescan it per row, each rescan locking more
# rows: a claim of 10 took 50).
CLAIM_DUE_POSTGRESQL = """
UPDATE messaging_message
   SET status = 'sending', claimed_at = %s, claimed_by = %s, attempts = attempts + 1
 WHERE id = ANY(ARRAY(SELECT id FROM messaging_message
                       WHERE status = 'queued' AND next_attempt_at <= %s
                       ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED))
   AND status = 'queued'
RETURNING {columns}
"""
# SQLite: the write lock (BEGIN IMMEDIATE) keeps claimers apart; `+status` keeps the
# planner on the primary key for the UPDATE (with message_due it walked every queued row,
# so a claim's cost grew with the queue).
CLAIM_DUE_SQLITE = """
UPDATE messaging_message
   SET status = 'sending', claimed_at = %s, claimed_by = %s, attempts = attempts + 1
 WHERE id IN (SELECT id FROM messaging_message
               WHERE status = 'queued' AND next_attempt_at <= %s
               ORDER BY next_attempt_at, id LIMIT %s)
   AND +status = 'queued'
RETURNING {columns}
"""


def claim_due(claim: str, now, limit: int, columns: tuple[str, ...]) -> list[tuple]:
    """Mark up to `limit` due rows `sending` under `claim`; returns their `columns`."""
    statement = CLAIM_DUE_SQLITE if connection.vendor == "sqlite" else CLAIM_DUE_POSTGRESQL
    at = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(columns=", ".join(columns)), [at, claim, at, limit])
        return cursor.fetchall()


# Columns written when a message enters the ledger; conflicts on (organisation, key) keep
# the row that is already there (idempotency). Relies on the message_key_per_org index.
MESSAGE_COLUMNS = (
    "organisation_id",
    "customer_id",
    "channel",
    "key",
    "source",
    "to_address",
    "subject",
    "body_html",
    "body_text",
    "address_block",
    "status",
    "skip_reason",
    "attempts",
    "next_attempt_at",
    "created_at",
    "claimed_by",
    "last_error",
    "provider_id",
)
INSERT_MESSAGES = (
    f"INSERT INTO messaging_message ({', '.join(MESSAGE_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(MESSAGE_COLUMNS))}) "
    "ON CONFLICT (organisation_id, key) DO NOTHING"
)


_DATETIME_POSITIONS = [n for n, column in enumerate(MESSAGE_COLUMNS) if column.endswith("_at")]
_ROW_VALUES = operator.itemgetter(*MESSAGE_COLUMNS)


def insert_messages(rows: list[dict]) -> None:
    """Many new ledger rows in one round trip; existing keys are left as they are."""
    adapt = connection.ops.adapt_datetimefield_value
    adapted: dict = {}  # a chunk's rows share their timestamps: each is adapted once
    values = []
    for row in rows:
        value = list(_ROW_VALUES(row))
        for n in _DATETIME_POSITIONS:
            at = value[n]
            if at not in adapted:
                adapted[at] = adapt(at)
            value[n] = adapted[at]
        values.append(value)
    with connection.cursor() as cursor:
        cursor.executemany(INSERT_MESSAGES, values)


def freeze_recipients(campaign_id: int, customer_ids_sql: str, params: tuple) -> None:
    """Put every customer the compiled segment query selects on the campaign's list.

    INSERT … SELECT: the list never passes through Python, so freezing is flat in memory.
    Customers already on the list (unique campaign + customer) are kept as they are.
    """
    statement = (
        "INSERT INTO messaging_campaignrecipient "
        "(campaign_id, customer_id, added_by_hand, skip_reason, distribution) "
        f"SELECT %s, matching.id, %s, '', 0 FROM ({customer_ids_sql}) AS matching "
        "WHERE true ON CONFLICT (campaign_id, customer_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, (campaign_id, False, *params))
