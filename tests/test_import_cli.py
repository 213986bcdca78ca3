"""`regulars org create`, `regulars staff add` and `regulars import` (SPEC 9.1)."""

import os
import subprocess
import sys

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from regulars.customers.models import Customer
from regulars.orgs.models import Membership, Organisation


def _run(*args):
    out, err = [], []

    class Sink:
        def __init__(self, lines):
            self.lines = lines

        def write(self, text):
            self.lines.append(text)

        def flush(self):
            pass

    call_command(*args, stdout=Sink(out), stderr=Sink(err))
    return "".join(out), "".join(err)


def test_org_create_and_staff_add(db):
    out, _ = _run(
        "org",
        "create",
        "vaerksted",
        "--name",
        "Bilværksted",
        "--timezone",
        "Europe/Oslo",
        "--country",
        "no",
    )
    organisation = Organisation.objects.get(slug="vaerksted")
    assert (organisation.name, organisation.timezone, organisation.country) == (
        "Bilværksted",
        "Europe/Oslo",
        "NO",
    )
    assert out == "created organisation vaerksted (Bilværksted)\n"
    _run(
        "staff", "add", "kim", "--org", "vaerksted", "--role", "cashier", "--password", "pw-123456"
    )
    membership = Membership.objects.get(user__username="kim")
    assert (membership.organisation, membership.role) == (organisation, "cashier")
    assert membership.user.check_password("pw-123456")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["org", "create", "salon", "--name", "X"], "organisation 'salon' already exists"),
        (
            ["org", "create", "new", "--name", "X", "--timezone", "Mars/Base"],
            "unknown time zone: 'Mars/Base'",
        ),
        (["staff", "add", "kim", "--org", "nope", "--role", "owner"], "no organisation 'nope'"),
        (
            ["import", "customers", "/nonexistent.csv", "--org", "salon"],
            "/nonexistent.csv: no such file",
        ),
        (["import", "customers", "/tmp", "--org", "nope"], "no organisation 'nope'"),
    ],
)
def test_bad_command_lines_fail_with_status_2(org, args, message):
    with pytest.raises(CommandError) as error:
        _run(*args)
    assert (str(error.value), error.value.returncode) == (message, 2)


def test_import_csv_prints_counts(org, other_org, tmp_path):
    path = tmp_path / "kunder.csv"
    path.write_bytes(
        "\ufeffexternal_id,first_name,email\nC1,Åse,ase@example.com\nC2,Bo,\n".encode()
    )
    out, err = _run("import", "customers", str(path), "--org", "salon")
    assert out == "customers: 2 rows; created 2, updated 0, unchanged 0, failed 0\n"
    assert err == ""
    assert Customer.objects.get(external_id="C1").first_name == "Åse"
    out, _ = _run("import", "customers", str(path), "--org", "salon", "--dry-run")
    assert (
        out == "customers: 2 rows; would be created 0, would be updated 0, unchanged 2, failed 0\n"
    )
    assert Customer.objects.filter(organisation=other_org).count() == 0


def test_import_with_bad_rows_prints_each_and_imports_nothing(org, tmp_path):
    path = tmp_path / "kunder.csv"
    path.write_text("external_id,email,birth_date\nC1,ok@example.com,\nC2,nope,\nC3,,31-12-1990\n")
    with pytest.raises(CommandError) as error:
        _run("import", "customers", str(path), "--org", "salon")
    assert (str(error.value), error.value.returncode) == ("2 bad rows; nothing was imported", 1)
    assert Customer.objects.count() == 0


def test_xlsx_import(org, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["external_id", "first_name", "birth_date", "member", "postcode"])
    import datetime

    sheet.append(["X1", "Eva", datetime.date(1985, 7, 4), True, 8000])
    sheet.append([None, None, None, None, None])
    sheet.append(["X2", "Finn", None, False, None])
    path = tmp_path / "kunder.xlsx"
    workbook.save(path)
    out, _ = _run("import", "customers", str(path), "--org", "salon")
    assert out == "customers: 2 rows; created 2, updated 0, unchanged 0, failed 0\n"
    eva = Customer.objects.get(external_id="X1")
    assert (eva.birth_date, eva.member, eva.postcode, eva.postcode_number) == (
        datetime.date(1985, 7, 4),
        True,
        "8000",
        8000,
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.pdf", b"%PDF-1.4", "x.pdf: not a CSV or .xlsx file"),
        ("x.xlsx", b"external_id\nC1\n", "x.xlsx: not an Excel .xlsx file"),
        ("x.csv", b"external_id\n\xff\xfe\n", "x.csv: not a UTF-8 text file"),
        ("x.csv", b"", "x.csv: the file is empty"),
    ],
)
def test_a_file_that_is_not_a_table_is_one_clear_line(org, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        _run("import", "customers", str(path), "--org", "salon")
    assert str(error.value) == f"{path.parent}/{message}"
    assert error.value.returncode == 2


def test_the_installed_command_prints_one_line_without_traceback(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    regulars = os.path.join(os.path.dirname(sys.executable), "regulars")
    subprocess.run([regulars, "migrate", "-v0"], env=env, check=True)
    result = subprocess.run(
        [
            regulars,
            "import",
            "customers",
            str(tmp_path / "missing.csv"),
            "--org",
            "x",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
