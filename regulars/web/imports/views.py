"""Import page: upload a CSV/xlsx file, read the dry-run report, confirm (DATA-5).

Small files are checked while the user waits. Larger ones, and every confirmed import,
run as an import job in the background worker; the job's page shows its progress live
and then its report.
"""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.imports.actions import KINDS, TableError, import_file
from regulars.imports.jobs import job_progress, queue_import, upload_path
from regulars.imports.models import ImportJob, ImportJobStatus
from regulars.imports.report import StoredReport
from regulars.web.access import get_object_for_org, staff_view

from .uploads import discard_upload, open_upload, store_upload, upload_token

KIND_LABELS = {
    "customers": gettext_lazy("Customers"),
    "sales": gettext_lazy("Sales (one row per receipt line)"),
    "bookings": gettext_lazy("Bookings"),
    "tickets": gettext_lazy("Ticket orders"),
    "individuals": gettext_lazy("Individuals (cars, pets …)"),
}
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# Files up to this size are checked during the request; larger ones by the worker.
INLINE_CHECK_BYTES = 1024 * 1024
RECENT_JOBS = 5


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"),
        choices=[(kind, KIND_LABELS.get(kind, kind)) for kind in KINDS],
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8, comma, header row) or Excel .xlsx."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Choose a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload


@staff_view("market")
def import_page(request):
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form, "jobs": _recent_jobs(request)}
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        token = store_upload(
            uploaded, organisation_id=request.organisation.pk, kind=form.cleaned_data["kind"]
        )
        upload = open_upload(token, organisation_id=request.organisation.pk)
        if uploaded.size > INLINE_CHECK_BYTES:
            return redirect("web:import_job", _queue(request, upload, dry_run=True).pk)
        report, problem = _check(request, upload)
        if problem:
            form.add_error("file", problem)
        if report is None or not report.ok:
            discard_upload(upload)
            token = None
        context.update(report=report, token=token, upload=upload)
    return render(request, "web/imports/page.html", context)


def _confirm(request):
    upload = open_upload(request.POST["token"], organisation_id=request.organisation.pk)
    if upload is None:
        context = {
            "form": UploadForm(),
            "jobs": _recent_jobs(request),
            "problem": _("The checked file is gone or expired. Upload it again."),
        }
        return render(request, "web/imports/page.html", context)
    return redirect("web:import_job", _queue(request, upload, dry_run=False).pk)


def _queue(request, upload: dict, *, dry_run: bool) -> ImportJob:
    return queue_import(
        organisation=request.organisation,
        kind=upload["kind"],
        stored_name=upload["file"],
        file_name=upload["name"],
        dry_run=dry_run,
        created_by=request.user,
    )


def _check(request, upload: dict):
    """The dry-run report, or None and the reason the file cannot be read."""
    try:
        report = import_file(
            organisation=request.organisation,
            kind=upload["kind"],
            file=upload["path"],
            filename=upload["name"],
            dry_run=True,
        )
    except TableError as error:
        return None, str(error)
    return report, ""


def _recent_jobs(request) -> list[ImportJob]:
    return list(ImportJob.objects.filter(organisation=request.organisation)[:RECENT_JOBS])


@staff_view("market")
def import_job(request, pk: int):
    """A job's progress while it runs (polled by htmx), then its report."""
    job = get_object_for_org(request, ImportJob, pk=pk)
    done = job_progress(job)
    context = {
        "job": job,
        "rows_done": done,
        "percent": round(100 * done / job.rows_total) if job.rows_total else 0,
        "report": StoredReport.from_dict(job.report) if job.report else None,
        "problem": job.problem_text,
        "token": _confirm_token(job),
    }
    template = "web/imports/_job.html" if request.htmx else "web/imports/job.html"
    return render(request, template, context)


def _confirm_token(job: ImportJob) -> str | None:
    """The confirmation token of a clean dry run whose file is still waiting."""
    if not job.dry_run or job.status != ImportJobStatus.DONE or job.report.get("error_count"):
        return None
    if not upload_path(job.stored_name).is_file():
        return None
    return upload_token(
        file=job.stored_name, organisation_id=job.organisation_id, kind=job.kind, name=job.file_name
    )
