"""Import jobs run by the worker's task function: once, all or nothing, with progress."""

import datetime as dt

import pytest
from django.utils import timezone

from regulars.customers.models import Customer
from regulars.imports import actions, jobs
from regulars.imports.actions import import_rows
from regulars.imports.customers import CustomerImporter
from regulars.imports.jobs import queue_import, run_import_job, run_queued_import_jobs
from regulars.imports.models import ImportJob, ImportJobStatus
from regulars.imports.report import StoredReport

GOOD = "external_id,first_name,last_name\nA1,Anna,Jensen\nA2,Bo,Hansen\n\nA3,Carl,Berg\n"
BAD = "external_id,first_name,birth_date\nA1,Anna,1990-01-01\nA2,Bo,31-12-1990\n"


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def stored(content: str | bytes, name: str = "upload.csv") -> str:
    data = content.encode() if isinstance(content, str) else content
    jobs.upload_path(name).write_bytes(data)
    return name


def queue(org, content, *, dry_run=False, name="upload.csv") -> ImportJob:
    return queue_import(
        organisation=org,
        kind="customers",
        stored_name=stored(content, name),
        file_name="customers.csv",
        dry_run=dry_run,
    )


def customers(org) -> list[str]:
    return sorted(Customer.objects.filter(organisation=org).values_list("external_id", flat=True))


def test_a_job_imports_once_and_keeps_its_report(org, other_org):
    job = queue(org, GOOD)
    assert job.status == ImportJobStatus.QUEUED
    assert customers(org) == []
    assert run_queued_import_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.attempt, job.rows_total, job.rows_done) == ("done", 1, 4, 4)
    report = StoredReport.from_dict(job.report)
    assert (report.rows, report.created, report.updated, report.failed) == (3, 3, 0, 0)
    assert report.ok and not report.dry_run
    assert customers(org) == ["A1", "A2", "A3"]
    assert customers(other_org) == []
    assert not jobs.upload_path(job.stored_name).exists()
    # Running it again, by the sweep or by id, does nothing.
    assert run_queued_import_jobs() == 0
    run_import_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("done", 1)
    assert Customer.objects.filter(organisation=org).count() == 3


def test_confirming_the_same_upload_twice_gives_one_job(org):
    first = queue(org, GOOD)
    second = queue(org, GOOD)
    assert first.pk == second.pk
    assert ImportJob.objects.count() == 1


def test_dry_run_job_writes_nothing_and_keeps_the_file(org):
    job = queue(org, GOOD, dry_run=True)
    run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done"
    assert job.report["created"] == 3 and job.report["dry_run"] is True
    assert customers(org) == []
    assert jobs.upload_path(job.stored_name).exists()  # waiting for the confirmation


def test_a_bad_row_imports_nothing_and_reports_line_and_column(org):
    job = queue(org, BAD)
    run_import_job(job.pk)
    job.refresh_from_db()
    report = StoredReport.from_dict(job.report)
    assert job.status == "done" and not report.ok
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (3, "birth_date", "not a date (YYYY-MM-DD): '31-12-1990'")
    ]
    assert (report.failed, report.created) == (1, 0)
    assert customers(org) == []
    assert not jobs.upload_path(job.stored_name).exists()


def test_unreadable_file_fails_with_the_reason(org):
    job = queue(org, b"\xff\xfe broken")
    run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.problem_text == "customers.csv: not a UTF-8 text file"
    assert job.report == {}


def test_an_error_in_the_middle_leaves_nothing_half_imported(org, monkeypatch):
    monkeypatch.setattr(actions, "CHUNK_ROWS", 2)
    real_write = CustomerImporter.write
    calls = []

    def write_then_fail(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_write(self, chunk)

    monkeypatch.setattr(CustomerImporter, "write", write_then_fail)
    job = queue(org, GOOD)
    run_import_job(job.pk)
    job.refresh_from_db()
    assert calls == [2, 1]
    assert job.status == "failed"
    assert job.problem == jobs.UNEXPECTED
    assert customers(org) == []


def test_a_job_whose_worker_died_runs_again_once(org):
    job = queue(org, GOOD)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(status="running", attempt=1, started_at=long_ago)
    assert run_queued_import_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("done", 2)
    assert customers(org) == ["A1", "A2", "A3"]


def test_a_running_job_that_moves_is_left_alone(org):
    job = queue(org, GOOD)
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", attempt=1, started_at=timezone.now()
    )
    assert run_queued_import_jobs() == 0
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("running", 1)
    assert customers(org) == []


def test_progress_is_reported_after_each_chunk(org):
    rows = [{"external_id": f"P{n}", "first_name": "P"} for n in range(5)]
    seen: list[int] = []
    import_rows(
        organisation=org, kind="customers", rows=rows, chunk_rows=2, on_progress=seen.append
    )
    assert seen == [2, 4, 5]
