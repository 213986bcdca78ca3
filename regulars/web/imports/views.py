"""Import page: upload a CSV/xlsx file, read the dry-run report, confirm (DATA-5)."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.imports.actions import KINDS, TableError, import_file
from regulars.web.access import staff_view

from .uploads import discard_upload, open_upload, store_upload

KIND_LABELS = {
    "customers": gettext_lazy("Customers"),
    "sales": gettext_lazy("Sales (one row per receipt line)"),
    "bookings": gettext_lazy("Bookings"),
    "tickets": gettext_lazy("Ticket orders"),
    "individuals": gettext_lazy("Individuals (cars, pets …)"),
}
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


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
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        token = store_upload(
            form.cleaned_data["file"],
            organisation_id=request.organisation.pk,
            kind=form.cleaned_data["kind"],
        )
        upload = open_upload(token, organisation_id=request.organisation.pk)
        report, problem = _run(request, upload, dry_run=True)
        if problem:
            form.add_error("file", problem)
        if report is None or not report.ok:
            discard_upload(upload)
            token = None
        context.update(report=report, token=token, upload=upload)
    return render(request, "web/imports/page.html", context)


def _confirm(request):
    upload = open_upload(request.POST["token"], organisation_id=request.organisation.pk)
    context: dict = {"form": UploadForm(), "upload": upload, "imported": True}
    if upload is None:
        context["problem"] = _("The checked file is gone or expired. Upload it again.")
        return render(request, "web/imports/page.html", context)
    context["report"], context["problem"] = _run(request, upload, dry_run=False)
    discard_upload(upload)
    return render(request, "web/imports/page.html", context)


def _run(request, upload, *, dry_run: bool):
    """The import report, or None and the reason the file cannot be read."""
    try:
        report = import_file(
            organisation=request.organisation,
            kind=upload["kind"],
            file=upload["path"],
            filename=upload["name"],
            dry_run=dry_run,
        )
    except TableError as error:
        return None, str(error)
    return report, ""
