"""The in-process runner (`regulars worker`, the embedded mode): delivery plus periodic tasks.

Other areas add their scheduled work with `register_periodic(name, func, every_seconds)`,
either at import time of a module named `periodic` in their app (found automatically) or
before calling `run_worker`. Celery beat runs the same registered functions
(`regulars.messaging.tasks`). A periodic function takes no arguments and must be
idempotent: it may run twice, and on several machines at once.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from . import delivery
from .models import PeriodicRun

log = logging.getLogger(__name__)


@dataclass
class Periodic:
    name: str
    func: Callable[[], object]
    every_seconds: float


_registry: dict[str, Periodic] = {}


def register_periodic(name: str, func: Callable[[], object], every_seconds: float) -> None:
    """Run `func` every `every_seconds` in the worker (re-registering a name replaces it)."""
    _registry[name] = Periodic(name, func, every_seconds)


def registered() -> dict[str, Periodic]:
    """Every registered periodic task, after loading the apps' `periodic` modules."""
    autodiscover_modules("periodic")
    return _registry


def run_periodic(name: str) -> None:
    """Run one registered task now, logging (not raising) its failure."""
    task = registered()[name]
    try:
        task.func()
    except Exception:  # noqa: BLE001 — one failing task must not stop the others
        log.exception("periodic task %s failed", name)


def claim_periodic(task: Periodic) -> bool:
    """True for exactly one runner per interval: a conditional UPDATE on the shared row."""
    now = timezone.now()
    PeriodicRun.objects.get_or_create(
        name=task.name, defaults={"last_run_at": now - timedelta(days=3650)}
    )
    due_before = now - timedelta(seconds=task.every_seconds)
    return bool(
        PeriodicRun.objects.filter(name=task.name, last_run_at__lte=due_before).update(
            last_run_at=now
        )
    )


def run_due_periodic() -> list[str]:
    """Run every registered task whose interval has passed; returns their names."""
    ran = []
    for task in list(registered().values()):
        if claim_periodic(task):
            run_periodic(task.name)
            ran.append(task.name)
    return ran


def _delivery_loop(stop: threading.Event, connections: int, poll_seconds: float, batch: int):
    while not stop.is_set():
        try:
            handled = delivery.deliver_all(limit=batch, threads=connections, stop=stop)
        except Exception:  # noqa: BLE001 — e.g. the database restarting; try again
            log.exception("delivery loop error")
            close_old_connections()
            handled = 0
        if not handled:
            stop.wait(poll_seconds)
    connection.close()


def run_worker(
    stop_event: threading.Event | None = None,
    *,
    threads: int | None = None,
    poll_seconds: float = 1.0,
    batch: int = 50,
) -> None:
    """Deliver queued messages and run periodic tasks until `stop_event` is set.

    Delivery keeps `threads` provider connections busy (`delivery.deliver_all`: over SMTP
    sessions driven by one thread, otherwise a thread each) in a thread of its own; the
    calling thread runs the periodic tasks and releases claims of dead workers.
    """
    stop = stop_event or threading.Event()
    sender = threading.Thread(
        target=_delivery_loop,
        args=(stop, threads or settings.MESSAGING_WORKER_THREADS, poll_seconds, batch),
        name="deliver",
        daemon=True,
    )
    sender.start()
    try:
        while not stop.is_set():
            delivery.release_stale_claims()
            run_due_periodic()
            stop.wait(poll_seconds)
    finally:
        stop.set()
        sender.join()
        connection.close()
