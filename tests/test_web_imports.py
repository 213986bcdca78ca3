"""The import page: dry-run report with line and column, confirm, tenants, roles."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regulars.customers.models import Customer
from regulars.imports.jobs import run_queued_import_jobs
from regulars.imports.models import ImportJob
from regulars.web.imports import views

GOOD = (
    "external_id,first_name,last_name,email,email_consent\n"
    "A1,Anna,Jensen,anna@example.com,true\n"
    "A2,Bo,Hansen,bo@example.com,false\n"
)
BAD = (
    "external_id,first_name,last_name,email,birth_date\n"
    "A1,Anna,Jensen,anna@example.com,1990-01-01\n"
    "A2,Bo,Hansen,bo@example.com,31-12-1990\n"
)


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def upload(client, content: str, kind="customers", name="customers.csv"):
    file = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return client.post(reverse("web:imports"), {"kind": kind, "file": file})


def test_bad_row_is_reported_with_line_and_column_and_nothing_imported(client, alice, org):
    client.force_login(alice)
    response = upload(client, BAD)
    assert response.status_code == 200
    report = response.context["report"]
    assert [(e.line, e.column) for e in report.errors] == [(3, "birth_date")]
    html = response.content.decode()
    assert 'id="import-errors"' in html and "birth_date" in html
    assert "token" not in response.context or response.context["token"] is None
    assert Customer.objects.filter(organisation=org).count() == 0


def test_dry_run_then_confirm_runs_an_import_job(client, alice, org, other_org):
    client.force_login(alice)
    checked = upload(client, GOOD)
    assert checked.context["report"].created == 2
    assert Customer.objects.filter(organisation=org).count() == 0
    token = checked.context["token"]
    confirmed = client.post(reverse("web:imports"), {"token": token})
    job = ImportJob.objects.get(organisation=org, dry_run=False)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("web:import_job", args=[job.pk])
    waiting = client.get(confirmed["Location"])
    assert 'data-status="queued"' in waiting.content.decode()
    assert "Waiting for the background worker" in waiting.content.decode()
    # Confirming twice (a double click) finds the same job.
    assert (
        client.post(reverse("web:imports"), {"token": token})["Location"] == confirmed["Location"]
    )
    assert Customer.objects.filter(organisation=org).count() == 0
    assert run_queued_import_jobs() == 1
    done = client.get(confirmed["Location"], headers={"HX-Request": "true"})
    html = done.content.decode()
    assert "<html" not in html and "hx-trigger" not in html  # finished: polling stops
    assert 'data-status="done"' in html and "Import done" in html
    assert done.context["report"].created == 2
    assert sorted(
        Customer.objects.filter(organisation=org).values_list("external_id", flat=True)
    ) == ["A1", "A2"]
    assert Customer.objects.filter(organisation=other_org).count() == 0
    # The token is spent: the file is gone.
    again = client.post(reverse("web:imports"), {"token": token})
    assert "The checked file is gone or expired" in again.content.decode()
    assert run_queued_import_jobs() == 0
    assert Customer.objects.filter(organisation=org).count() == 2


def test_running_job_shows_progress_and_polls(client, alice, org):
    client.force_login(alice)
    token = upload(client, GOOD).context["token"]
    url = client.post(reverse("web:imports"), {"token": token})["Location"]
    job = ImportJob.objects.get(organisation=org)
    ImportJob.objects.filter(pk=job.pk).update(status="running", rows_total=2)
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'id="import-progress"' in html and "0 of 2 rows (0 %)" in html


def test_large_file_is_checked_by_the_worker(client, alice, org, monkeypatch):
    monkeypatch.setattr(views, "INLINE_CHECK_BYTES", 10)
    client.force_login(alice)
    response = upload(client, BAD)
    job = ImportJob.objects.get(organisation=org, dry_run=True)
    assert response["Location"] == reverse("web:import_job", args=[job.pk])
    run_queued_import_jobs()
    page = client.get(response["Location"])
    assert [(e.line, e.column) for e in page.context["report"].errors] == [(3, "birth_date")]
    assert 'id="import-errors"' in page.content.decode()
    assert page.context["token"] is None
    good = upload(client, GOOD)
    run_queued_import_jobs()
    ready = client.get(good["Location"])
    assert "The file is ready to import" in ready.content.decode()
    imported = client.post(reverse("web:imports"), {"token": ready.context["token"]})
    run_queued_import_jobs()
    assert "Import done" in client.get(imported["Location"]).content.decode()
    assert Customer.objects.filter(organisation=org).count() == 2


def test_another_organisations_job_is_404(client, alice, bob, org):
    client.force_login(alice)
    token = upload(client, GOOD).context["token"]
    url = client.post(reverse("web:imports"), {"token": token})["Location"]
    client.force_login(bob)
    assert client.get(url).status_code == 404


def test_another_organisation_cannot_confirm_an_upload(client, alice, bob, org, other_org):
    client.force_login(alice)
    token = upload(client, GOOD).context["token"]
    client.force_login(bob)
    response = client.post(reverse("web:imports"), {"token": token})
    assert "The checked file is gone or expired" in response.content.decode()
    assert Customer.objects.count() == 0


def test_unreadable_file_and_wrong_suffix(client, alice):
    client.force_login(alice)
    response = upload(client, "hello", name="notes.txt")
    assert response.context["form"].errors["file"] == ["Choose a .csv or .xlsx file."]
    broken = upload(client, "", name="empty.csv")
    assert broken.status_code == 200


def test_roles(client, victor, carol, mia):
    client.force_login(victor)
    assert client.get(reverse("web:imports")).status_code == 200
    assert upload(client, GOOD).status_code == 403
    client.force_login(carol)
    assert client.get(reverse("web:imports")).status_code == 403
    client.force_login(mia)
    assert upload(client, GOOD).status_code == 200


def test_page_in_danish(client, alice):
    from regulars.orgs.models import StaffProfile

    StaffProfile.objects.create(user=alice, language="da")
    client.force_login(alice)
    html = client.get(reverse("web:imports")).content.decode()
    assert re.search(r"<h1>Import</h1>", html)
    assert "Tjek filen" in html


def test_row_errors_in_the_users_language(client, alice, org, monkeypatch):
    from regulars.orgs.models import StaffProfile

    StaffProfile.objects.create(user=alice, language="nb")
    client.force_login(alice)
    checked = upload(client, BAD).content.decode()
    assert "ikke en dato (ÅÅÅÅ-MM-DD): &#x27;31-12-1990&#x27;" in checked
    # A stored job report is translated when it is shown, in whoever's language.
    monkeypatch.setattr(views, "INLINE_CHECK_BYTES", 10)
    job_url = upload(client, BAD)["Location"]
    run_queued_import_jobs()
    assert "ikke en dato (ÅÅÅÅ-MM-DD)" in client.get(job_url).content.decode()
    StaffProfile.objects.filter(user=alice).update(language="da")
    danish = client.get(job_url).content.decode()
    assert "ikke en dato (ÅÅÅÅ-MM-DD): &#x27;31-12-1990&#x27;" in danish
    assert "Filen har fejl" in danish
    headless = upload(client, ",\nA1,Anna\n", name="uden.csv")
    assert headless.context["form"].errors["file"] == [
        "uden.csv: den første række skal navngive kolonnerne"
    ]
