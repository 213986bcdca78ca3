"""The import page: dry-run report with line and column, confirm, tenants, roles."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regulars.customers.models import Customer

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


def test_dry_run_then_confirm_imports(client, alice, org, other_org):
    client.force_login(alice)
    checked = upload(client, GOOD)
    assert checked.context["report"].created == 2
    assert Customer.objects.filter(organisation=org).count() == 0
    token = checked.context["token"]
    done = client.post(reverse("web:imports"), {"token": token})
    assert done.context["imported"] is True
    assert done.context["report"].created == 2
    assert sorted(
        Customer.objects.filter(organisation=org).values_list("external_id", flat=True)
    ) == ["A1", "A2"]
    assert Customer.objects.filter(organisation=other_org).count() == 0
    # The token is spent: the file is gone.
    again = client.post(reverse("web:imports"), {"token": token})
    assert "The checked file is gone or expired" in again.content.decode()
    assert Customer.objects.filter(organisation=org).count() == 2


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
