"""SQL the ORM cannot say portably, or not in the form each engine runs fastest:
comparing one attribute of an individual's JSON (`AttributeComparison`), a ticket's lead
time (`OrderedWithinDaysOfEvent`) and the id lists of `IN` (`SortedIds`, `GroupedIds`).

SQLite and PostgreSQL spell JSON access differently; the meaning is the same on both.
The attribute must be present. A JSON number attribute and a number value compare as
numbers; a JSON string attribute compares with the value as case-sensitive text in
code-point order (PostgreSQL is told so with COLLATE "C"; `contains` is a substring
test); any other pairing matches `neq` only. Used inside an EXISTS over
customers_individual filtered by the (organisation, kind) index.
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import BooleanField, Expression, F, Subquery
from django.db.models.sql.compiler import SQLCompiler

OPERATORS = {"eq": "=", "neq": "<>", "gte": ">=", "lte": "<="}


def number_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) or not value.is_integer() else str(int(value))


class AttributeComparison(Expression):
    """A boolean test of `column[attribute] <op> value` (see the module docstring)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, attribute: str, op: str, value: Any) -> None:
        super().__init__(output_field=BooleanField())
        self.column: Any = F(column)
        self.attribute = attribute
        self.op = op
        self.value = value

    def get_source_expressions(self) -> list:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    @property
    def numeric(self) -> bool:
        is_number = isinstance(self.value, int | float) and not isinstance(self.value, bool)
        return is_number and self.op != "contains"

    @property
    def text_value(self) -> str:
        return self.value if isinstance(self.value, str) else number_text(self.value)

    def _combine(self, kind: str, is_number: str, is_string: str, number: str, text: str) -> str:
        """OR together the branches; `kind` is the JSON type, NULL when absent."""
        if self.op == "contains":
            string_test = f"({is_string} AND {text})"
        else:
            string_test = f"({is_string} AND {text} {OPERATORS[self.op]} %s)"
        branches = [string_test]
        handled = [is_string]
        if self.numeric:
            # CASE, not AND: PostgreSQL may evaluate the cast before the type test.
            number_test = f"(CASE WHEN {is_number} THEN {number} END {OPERATORS[self.op]} %s)"
            branches.insert(0, number_test)
            handled.insert(0, is_number)
        if self.op == "neq":
            others = " OR ".join(handled)
            branches.append(f"({kind} IS NOT NULL AND NOT ({others}))")
        return "(" + " OR ".join(branches) + ")"

    def _params(self, path: Any) -> list:
        """Parameters in the order `_combine` places the placeholders."""
        params: list = []
        if self.numeric:
            params += [path, path, float(self.value)]
        params += [path, path, self.text_value]
        if self.op == "neq":
            params += [path, path] + ([path] if self.numeric else [])
        return params

    def as_sqlite(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> tuple[str, list]:
        column, column_params = compiler.compile(self.column)
        assert not column_params
        kind = f"json_type({column}, %s)"
        value = f"json_extract({column}, %s)"
        text = f"instr({value}, %s) > 0" if self.op == "contains" else value
        sql = self._combine(
            kind,
            is_number=f"{kind} IN ('integer', 'real')",
            is_string=f"{kind} = 'text'",
            number=value,
            text=text,
        )
        return sql, self._params(f'$."{self.attribute}"')

    def as_postgresql(
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, list]:
        column, column_params = compiler.compile(self.column)
        assert not column_params
        kind = f"jsonb_typeof({column} -> %s)"
        value = f"({column} ->> %s)"
        text = f"strpos({value}, %s) > 0" if self.op == "contains" else f'{value} COLLATE "C"'
        sql = self._combine(
            kind,
            is_number=f"{kind} = 'number'",
            is_string=f"{kind} = 'string'",
            number=f"{value}::float8",
            text=text,
        )
        return sql, self._params(self.attribute)


class OrderedWithinDaysOfEvent(Expression):
    """A boolean on ticket rows: event_start − days×24 h ≤ ordered_at ≤ event_start.

    SQLite compares julian days (Django's own datetime arithmetic there is a Python
    function called per row, ~10× slower) as the difference event_start − ordered_at, spelled
    exactly as the expression index `segments_ticket_lead_idx` (migration 0003) so the window is
    an index range; both julian days are whole milliseconds in one binade, so their
    difference is exact. PostgreSQL compares the interval event_start − ordered_at (an
    exact duration) with whole hours, so a DST change never bends the window, spelled as
    its expression index `segments_ticket_lead_idx` (migration 0007). Both are exact at
    the edges for whole-second times.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, days: int) -> None:
        super().__init__(output_field=BooleanField())
        self.days = days
        self.ordered_at: Any = F("ordered_at")
        self.event_start: Any = F("event_start")

    def get_source_expressions(self) -> list:
        return [self.ordered_at, self.event_start]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.ordered_at, self.event_start = exprs

    def _columns(self, compiler: SQLCompiler) -> tuple[str, str]:
        ordered_at, _ = compiler.compile(self.ordered_at)
        event_start, _ = compiler.compile(self.event_start)
        return ordered_at, event_start

    def as_sqlite(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> tuple[str, list]:
        ordered_at, event_start = self._columns(compiler)
        lead = f"(julianday({event_start}) - julianday({ordered_at}))"
        # lead >= 0 follows from ordered_at <= event_start; it bounds the index range.
        sql = f"({lead} >= 0 AND {lead} <= %s AND {ordered_at} <= {event_start})"
        return sql, [self.days]

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, list]:
        ordered_at, event_start = self._columns(compiler)
        lead = f"({event_start} - {ordered_at})"
        sql = (
            f"({lead} >= INTERVAL '0' AND {lead} <= %s * INTERVAL '1 hour' "
            f"AND {ordered_at} <= {event_start})"
        )
        return sql, [self.days * 24]


class SortedIds(Subquery):
    """A subquery of ids for `IN`; SQLite sorts them first.

    SQLite puts the ids of `IN (subquery)` into a temporary B-tree, one insert per row:
    ids in ascending order go in at its right edge, ids in the order of the index that
    found them (e.g. by sale date) all over it. Sorting first is the cheaper of the two
    (1M customers, the 77k sale lines of the nested benchmark segment: its count
    111.5 -> 101.4 ms, its dashboard counts 253 -> 230 ms, old and new taking turns).
    PostgreSQL hashes the ids and gets the subquery unchanged.
    """

    def as_sqlite(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = self.as_sql(compiler, connection, **extra)
        return f"(SELECT * FROM {sql} ORDER BY 1)", list(params)


class GroupedIds(Subquery):
    """The ids of a GROUP BY subquery (one row per customer) for `IN`; PostgreSQL sorts
    them.

    PostgreSQL hashes the groups, so their ids come out in no order; at the top level it
    then looks each one up in the customer index, every lookup in another part of it.
    Sorted, the lookups walk the index from one end to the other (1M customers, the 20k
    of the hair revenue benchmark segment, old and new taking turns 21 times: 178.9 ->
    134.2 ms). Where the ids are hashed instead (under OR or NOT), the sort costs nothing
    measurable (that segment ORed with a tag, 11 turns: 299.9 and 292.5 ms). SQLite groups
    by sorting, so its ids come out in order already.
    """

    def as_postgresql(
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, list]:
        sql, params = self.as_sql(
            compiler, connection, template="(%(subquery)s ORDER BY 1)", **extra
        )
        return sql, list(params)
