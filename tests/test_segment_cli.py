"""`regulars segment count|export` (SPEC 9.1)."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.segment_support import customer, item, moment, sale


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("segment", *args, stdout=out, stderr=err)
    except SystemExit as stop:
        return stop.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def shop(org, other_org):
    hair = item(org, "100", "Hair")
    ann = customer(
        org, external_id="ann", gender="female", email="a@example.com", email_consent=True
    )
    customer(org, external_id="ben", gender="male", mobile="+4512345678", sms_consent=True)
    customer(org, external_id="cat", gender="female", mobile="+4587654321", sms_consent=True)
    customer(
        other_org, external_id="zoe", gender="female", email="z@example.com", email_consent=True
    )
    sale(ann, moment(org, "2026-03-01 10:00"), [(hair, 20000)])
    return org


def write_rules(tmp_path, rules):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    return str(path)


RULES = {
    "match": "all",
    "criteria": [
        {"type": "gender", "values": ["female"]},
        {"type": "revenue", "min": 100, "period": {"last_days": 30}},
    ],
}


def test_count_prints_the_json(shop, tmp_path):
    code, out, err = run(
        "count", write_rules(tmp_path, RULES), "--org", "salon", "--at", "2026-03-15T12:00"
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "total": 1,
        "email": 1,
        "sms": 0,
        "criteria": [{"type": "gender", "count": 2}, {"type": "revenue", "count": 1}],
    }
    code, out, _ = run(
        "count", write_rules(tmp_path, RULES), "--org", "salon", "--at", "2026-04-15T12:00+02:00"
    )
    assert json.loads(out)["total"] == 0


def test_export_csv_and_xlsx_first_column_external_id(shop, tmp_path):
    women = write_rules(tmp_path, {"match": "all", "criteria": [RULES["criteria"][0]]})
    code, out, err = run("export", women, "--org", "salon")
    assert (code, err) == (0, "")
    assert list(csv.reader(io.StringIO(out))) == [
        ["external_id", "first_name", "last_name", "email", "mobile"],
        ["ann", "", "", "a@example.com", ""],
        ["cat", "", "", "", "+4587654321"],
    ]
    target = tmp_path / "women.xlsx"
    assert (
        run("export", women, "--org", "salon", "--format", "xlsx", "--output", str(target))[0] == 0
    )
    sheet = load_workbook(target).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["external_id", "ann", "cat"]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (RULES, ["--org", "nope"], "error: no organisation with slug 'nope'"),
        ("{not json", ["--org", "salon"], "not valid JSON"),
        (
            {"match": "all", "criteria": [{"type": "age", "min": "x"}]},
            ["--org", "salon"],
            "error: criteria[0].min: not a whole number",
        ),
        (
            RULES,
            ["--org", "salon", "--at", "yesterday"],
            "error: --at: not an ISO-8601 moment: yesterday",
        ),
    ],
)
def test_errors_are_one_line_and_exit_2(shop, tmp_path, content, args, message):
    path = tmp_path / "rules.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    for action in ("count", "export"):
        code, out, err = run(action, str(path), *args)
        assert code == 2
        assert out == ""
        assert message in err
        assert err.count("\n") == 1


def test_missing_rules_file(shop, tmp_path):
    code, _, err = run("count", str(tmp_path / "missing.json"), "--org", "salon")
    assert code == 2
    assert err.startswith("error: cannot read")
