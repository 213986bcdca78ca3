"""Import jobs for the worker and Celery beat, found by the messaging worker's autodiscovery."""

from regulars.messaging.worker import register_periodic

from .jobs import run_queued_import_jobs

register_periodic("imports.run_queued_import_jobs", run_queued_import_jobs, every_seconds=2)
