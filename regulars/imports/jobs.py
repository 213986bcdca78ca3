"""Import jobs for the background worker: queue a stored upload, run it once, report progress.

`run_import_job` is the task: it takes a job id and may run twice, or on two machines at
once. A conditional UPDATE lets one claim win; the rows are written in the transaction
that marks the job finished, and only the latest claim may finish it, so a crash (then
a retry) never imports a file twice. `run_queued_import_jobs` is the periodic sweep the
worker and Celery beat run (see periodic.py).

Progress lives in a small file beside the upload, not in the job's row: on SQLite the
import's transaction holds the only write lock until it commits.
"""

import logging
import os
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from regulars.orgs.models import Organisation

from .actions import import_file
from .models import ImportJob, ImportJobStatus
from .tables import TableError, count_rows

log = logging.getLogger(__name__)

MAX_STORED_ERRORS = 1000
# A running job whose progress has not moved for this long lost its worker.
STALE_AFTER = timedelta(minutes=10)
UNEXPECTED = gettext_noop("The import stopped on an unexpected error; nothing was imported.")


def import_dir() -> Path:
    """Where uploads wait for their dry run and import (under the var folder)."""
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(stored_name: str) -> Path:
    return import_dir() / Path(stored_name).name


def queue_import(
    *,
    organisation: Organisation,
    kind: str,
    stored_name: str,
    file_name: str,
    dry_run: bool,
    created_by=None,
) -> ImportJob:
    """Queue a dry run or the import of a stored upload. Confirming the same upload
    again gives back its import job instead of a second one."""
    fields = {"organisation": organisation, "stored_name": stored_name, "dry_run": dry_run}
    if not dry_run and (existing := ImportJob.objects.filter(**fields).first()):
        return existing
    try:
        with transaction.atomic():
            return ImportJob.objects.create(
                **fields, kind=kind, file_name=file_name, created_by=created_by
            )
    except IntegrityError:  # the same confirmation, a moment earlier
        return ImportJob.objects.get(**fields)


def run_queued_import_jobs() -> int:
    """Requeue jobs whose worker died, then run every queued job; returns how many ran."""
    _requeue_abandoned()
    queued = ImportJob.objects.filter(status=ImportJobStatus.QUEUED).order_by("id")
    job_ids = list(queued.values_list("pk", flat=True))
    for job_id in job_ids:
        run_import_job(job_id)
    return len(job_ids)


def run_import_job(job_id: int) -> None:
    """Run one queued job to its end; does nothing for a job that is not queued."""
    attempt = _claim(job_id)
    if attempt is None:
        return
    job = ImportJob.objects.select_related("organisation").get(pk=job_id)
    try:
        _run(job, attempt)
    except TableError as error:
        params = {name: str(value) for name, value in error.params.items()}
        _finish(
            job,
            attempt,
            status=ImportJobStatus.FAILED,
            problem=error.message,
            problem_params=params,
        )
    except Exception:  # noqa: BLE001 — the job must end, whatever went wrong
        log.exception("import job %s failed", job_id)
        _finish(job, attempt, status=ImportJobStatus.FAILED, problem=UNEXPECTED)
    finally:
        _progress_file(job).unlink(missing_ok=True)
    job.refresh_from_db()
    if job.is_finished and not (job.dry_run and job.report.get("error_count") == 0):
        upload_path(job.stored_name).unlink(missing_ok=True)  # only a clean check waits


def job_progress(job: ImportJob) -> int:
    """Rows read so far (all of them once the job is finished)."""
    if job.status != ImportJobStatus.RUNNING:
        return job.rows_done
    try:
        return int(_progress_file(job).read_text())
    except (OSError, ValueError):
        return 0


def _run(job: ImportJob, attempt: int) -> None:
    path = upload_path(job.stored_name)
    total = count_rows(path, job.file_name)
    ImportJob.objects.filter(pk=job.pk, attempt=attempt).update(rows_total=total)
    _write_progress(job, 0)
    with transaction.atomic():
        report = import_file(
            organisation=job.organisation,
            kind=job.kind,
            file=path,
            filename=job.file_name,
            dry_run=job.dry_run,
            on_progress=lambda done: _write_progress(job, done),
        )
        finished = _finish(
            job,
            attempt,
            status=ImportJobStatus.DONE,
            rows_done=total,
            report=report.to_dict(MAX_STORED_ERRORS),
        )
        if not finished:  # a later claim took the job over: its run counts, not this one
            transaction.set_rollback(True)


def _claim(job_id: int) -> int | None:
    """The new attempt number when this caller won the job, else None."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
        status=ImportJobStatus.RUNNING, attempt=F("attempt") + 1, started_at=timezone.now()
    )
    if not claimed:
        return None
    return ImportJob.objects.values_list("attempt", flat=True).get(pk=job_id)


def _finish(job: ImportJob, attempt: int, **fields) -> bool:
    return bool(
        ImportJob.objects.filter(pk=job.pk, attempt=attempt, status=ImportJobStatus.RUNNING).update(
            finished_at=timezone.now(), **fields
        )
    )


def _requeue_abandoned() -> None:
    for job in ImportJob.objects.filter(status=ImportJobStatus.RUNNING):
        if _since_progress(job) > STALE_AFTER:
            log.warning("import job %s lost its worker; queued again", job.pk)
            ImportJob.objects.filter(
                pk=job.pk, status=ImportJobStatus.RUNNING, attempt=job.attempt
            ).update(status=ImportJobStatus.QUEUED)


def _since_progress(job: ImportJob) -> timedelta:
    try:
        moved = _progress_file(job).stat().st_mtime
    except OSError:
        return timezone.now() - (job.started_at or job.created_at)
    return timedelta(seconds=timezone.now().timestamp() - moved)


def _progress_file(job: ImportJob) -> Path:
    return import_dir() / f"job-{job.pk}.progress"


def _write_progress(job: ImportJob, rows_done: int) -> None:
    progress = _progress_file(job)
    partial = progress.with_suffix(".partial")
    partial.write_text(str(rows_done))
    os.replace(partial, progress)  # readers see the old number or the new one, never half
