"""Runners: the in-process worker (`run_worker`, `register_periodic`) and Celery tasks with
the machine's Redis broker, sending a campaign end to end through a real celery worker."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from regulars.customers.models import Customer
from regulars.messaging import campaigns, worker
from regulars.messaging.models import Message, Status
from tests.messaging_support import FaultySink, start_sink, use_sink
from tests.test_delivery_faults import ROOT, start_worker, worker_env

REDIS = ("127.0.0.1", 6379)


def redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def sink(settings):
    handler = FaultySink()
    controller = start_sink(handler)
    use_sink(settings, controller)
    yield handler, controller
    controller.stop()


def campaign_for(org, alice, count):
    customers = [
        Customer.objects.create(
            organisation=org,
            first_name=f"W{n}",
            email=f"w{n}@example.com",
            email_consent=True,
            created_at=timezone.now(),
        )
        for n in range(count)
    ]
    campaign = campaigns.create_campaign(
        organisation=org,
        description="Runner",
        dispatch="email",
        subject="Hi",
        body="<p>Hi #FirstName#</p>",
    )
    for customer in customers:
        campaigns.add_recipient(campaign=campaign, customer=customer)
    return campaign


def wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_in_process_worker_delivers_and_runs_periodic_tasks_once(org, alice, sink):
    handler, _ = sink
    runs = []
    worker.register_periodic("test.tick", lambda: runs.append(1), every_seconds=3600)
    try:
        campaigns.distribute(campaign=campaign_for(org, alice, 5), started_by=alice)
        stop = threading.Event()
        thread = threading.Thread(
            target=worker.run_worker, args=(stop,), kwargs={"threads": 2, "poll_seconds": 0.05}
        )
        thread.start()
        assert wait_for(lambda: len(handler.messages) == 5)
        time.sleep(0.3)  # several loop rounds: the hourly task still ran once
        stop.set()
        thread.join(timeout=10)
    finally:
        worker._registry.pop("test.tick", None)
    assert runs == [1]
    assert handler.by_recipient() == {f"w{n}@example.com": 1 for n in range(5)}


@pytest.mark.django_db(transaction=True)
def test_worker_processes_deliver_a_campaign_distributed_while_they_run(org, alice, sink):
    handler, controller = sink
    running = start_worker(controller, "--processes", "2", "--threads", "2", "--poll", "0.1")
    try:
        campaigns.distribute(campaign=campaign_for(org, alice, 40), started_by=alice)
        assert wait_for(lambda: len(handler.messages) == 40, seconds=30)
        children = children_of(running.pid)
    finally:
        running.terminate()
        _out, err = running.communicate(timeout=30)
    assert running.returncode == 0, err
    assert len(children) == 1, "a second worker process ran beside the first"
    assert not Path(f"/proc/{children[0]}").exists(), "stopping the worker stopped both"
    assert handler.by_recipient() == {f"w{n}@example.com": 1 for n in range(40)}
    assert Message.objects.filter(status=Status.SENT).count() == 40


def children_of(pid: int) -> list[str]:
    """Child processes of `pid`, whichever of its threads started them."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    return [child for task in tasks for child in task.read_text().split()]


@pytest.mark.django_db(transaction=True)
def test_worker_processes_start_a_killed_copy_again(org, alice, sink):
    handler, controller = sink
    running = start_worker(controller, "--processes", "2", "--threads", "1", "--poll", "0.1")
    try:
        assert wait_for(lambda: len(children_of(running.pid)) == 1, seconds=10)
        [killed] = children_of(running.pid)
        os.kill(int(killed), signal.SIGKILL)
        assert wait_for(lambda: children_of(running.pid) not in ([], [killed]), seconds=10)
        [started] = children_of(running.pid)
        campaigns.distribute(campaign=campaign_for(org, alice, 20), started_by=alice)
        assert wait_for(lambda: len(handler.messages) == 20, seconds=30)
    finally:
        running.terminate()
        _out, err = running.communicate(timeout=30)
    assert running.returncode == 0, err
    assert started != killed
    assert not Path(f"/proc/{started}").exists(), "stopping the worker stopped the new copy"
    assert handler.by_recipient() == {f"w{n}@example.com": 1 for n in range(20)}


@pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_campaign_end_to_end_through_celery_and_redis(org, alice, sink):
    from regulars.celery import app
    from regulars.messaging.tasks import distribute_campaign

    handler, controller = sink
    campaign = campaign_for(org, alice, 8)
    broker = "redis://127.0.0.1:6379/9"
    queue = f"test-{uuid.uuid4().hex[:8]}"  # this run's own queue: parallel runs never mix
    env = worker_env(controller, CELERY_BROKER_URL=broker)
    celery = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "regulars",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        app.conf.broker_url = broker
        distribute_campaign.apply_async(args=[campaign.pk, alice.pk], queue=queue)
        delivered = wait_for(lambda: len(handler.messages) == 8, seconds=25)
    finally:
        celery.terminate()
        output = celery.communicate(timeout=10)[0]
    assert delivered, output
    assert handler.by_recipient() == {f"w{n}@example.com": 1 for n in range(8)}
    assert Message.objects.filter(status=Status.SENT).count() == 8
