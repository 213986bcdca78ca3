"""Where batches of generated rows come from: this process, or a child process.

For bulk loads the rows are made in a child process, so that making them (Python) and
writing them (the database) run on two cores at once. The child needs no Django: it gets
a picklable plan and reserves ids itself, by counting (SQLite, where the writer checks the
ids are still free) or from the PostgreSQL sequences over its own connection.
"""

import datetime
import multiprocessing
import queue
import traceback
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from .generator import BLOCK, Batch, CatalogueIds, Generator
from .world import Clock, TimeFormat, plan_events

Reserve = Callable[[str, int], Sequence[int]]


@dataclass
class Plan:
    """Everything needed to make the same rows anywhere."""

    seed: int
    customers: int
    batch_customers: int
    today: datetime.date
    months: int
    timezone_name: str
    time_format: TimeFormat
    ids: CatalogueIds
    # SQLite: the first free id per table; PostgreSQL: connection keywords and sequences.
    first_ids: dict[str, int] = field(default_factory=dict)
    postgres: dict[str, str] = field(default_factory=dict)
    sequences: dict[str, str] = field(default_factory=dict)

    def generator(self) -> Generator:
        clock = Clock(
            today=self.today,
            months=self.months,
            tz=zoneinfo.ZoneInfo(self.timezone_name),
            time_format=self.time_format,
        )
        return Generator(
            seed=self.seed,
            clock=clock,
            events=plan_events(clock=clock, seed=self.seed),
            ids=self.ids,
        )

    def batch_ranges(self) -> Iterator[range]:
        """Block numbers of each batch."""
        blocks = -(-self.customers // BLOCK)
        per_batch = max(1, self.batch_customers // BLOCK)
        for first in range(0, blocks, per_batch):
            yield range(first, min(first + per_batch, blocks))


def make_batches(plan: Plan, reserve: Reserve) -> Iterator[Batch]:
    generator = plan.generator()
    for numbers in plan.batch_ranges():
        batch = Batch()
        for number in numbers:
            count = min(BLOCK, plan.customers - number * BLOCK)
            generator.block(number, count, reserve, batch)
        yield batch


def counting_reserve(first_ids: dict[str, int]) -> Reserve:
    next_id = dict(first_ids)

    def reserve(table: str, count: int) -> range:
        start = next_id[table]
        next_id[table] = start + count
        return range(start, start + count)

    return reserve


def batches_from_child(plan: Plan) -> Iterator[Batch]:
    """Yield the batches a child process makes; the child stops when the caller does."""
    context = multiprocessing.get_context("spawn")
    channel = context.Queue(maxsize=2)
    stop = context.Event()
    child = context.Process(target=_child, args=(plan, channel, stop), daemon=True)
    child.start()
    try:
        while (item := _get(channel, child)) is not None:
            if isinstance(item, str):
                raise RuntimeError(f"demo data generator failed:\n{item}")
            yield item
    finally:
        stop.set()
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()


def _get(channel, child):
    while True:
        try:
            return channel.get(timeout=1)
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError(
                    f"demo data generator exited unexpectedly ({child.exitcode})"
                ) from None


def _child(plan: Plan, channel, stop) -> None:
    try:
        reserve, close = _child_reserve(plan)
        try:
            for batch in make_batches(plan, reserve):
                if not _put(channel, batch, stop):
                    return
            _put(channel, None, stop)
        finally:
            close()
    except Exception:  # noqa: BLE001 — reported to the parent, which raises it
        _put(channel, traceback.format_exc(), stop)


def _child_reserve(plan: Plan) -> tuple[Reserve, Callable[[], None]]:
    if not plan.postgres:
        return counting_reserve(plan.first_ids), lambda: None
    import psycopg

    connection = psycopg.connect(conninfo=psycopg.conninfo.make_conninfo(**plan.postgres))
    connection.autocommit = True

    def reserve(table: str, count: int) -> list[int]:
        rows = connection.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)", [plan.sequences[table], count]
        ).fetchall()
        return [row[0] for row in rows]

    return reserve, connection.close


def _put(channel, item, stop) -> bool:
    while not stop.is_set():
        try:
            channel.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    channel.cancel_join_thread()  # the reader is gone: exit without flushing to it
    return False
