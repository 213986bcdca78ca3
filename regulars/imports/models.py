"""Import jobs: an uploaded file checked or imported by the background worker (DATA-5)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from regulars.orgs.models import Organisation


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One dry run or import of a stored upload. The rows are written in the same
    transaction that marks the job done, so a job is imported once or not at all."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    kind = models.CharField(max_length=20)
    dry_run = models.BooleanField()
    # The upload's name under the imports folder, and the name it had on the user's disk.
    stored_name = models.CharField(max_length=100)
    file_name = models.CharField(max_length=255)
    status = models.CharField(
        max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    # Raised by every claim; only the latest claim may finish the job.
    attempt = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    # ImportReport.to_dict(); empty until the job has run.
    report = models.JSONField(default=dict, blank=True)
    # Why the file could not be read at all (then there is no report): English text with
    # %(name)s holes and their values, translated when shown (see problem_text).
    problem = models.TextField(blank=True)
    problem_params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Confirming the same checked file twice finds the first import job.
            models.UniqueConstraint(
                fields=["stored_name"], condition=Q(dry_run=False), name="one_import_per_upload"
            )
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"

    @property
    def problem_text(self) -> str:
        return gettext(self.problem) % self.problem_params if self.problem else ""

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED)
