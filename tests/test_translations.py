"""Every text a user sees is translated into Danish and Norwegian: the catalogues, made
afresh from the code and templates (as `make messages` does), have nothing untranslated."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

PACKAGE = Path(__file__).resolve().parent.parent / "regulars"
CATALOGUE_DIRS = sorted(locale.parent for locale in PACKAGE.glob("**/locale"))

pytestmark = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgfmt") is None,
    reason="needs GNU gettext (xgettext, msgfmt)",
)


def untranslated(po: Path) -> str:
    """msgfmt's count of what `po` leaves untranslated or fuzzy ('' when nothing)."""
    statistics = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return statistics.strip() if "untranslated" in statistics or "fuzzy" in statistics else ""


@pytest.mark.parametrize("app", CATALOGUE_DIRS, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_catalogue_translates_every_text(app, tmp_path, monkeypatch):
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    monkeypatch.chdir(copy)
    call_command(
        "makemessages", locale=["da", "nb"], extensions=["html", "py", "js"], no_obsolete=True,
        verbosity=0,
    )  # fmt: skip
    for language in ("da", "nb"):
        po = copy / "locale" / language / "LC_MESSAGES" / "django.po"
        assert untranslated(po) == "", f"{app.relative_to(PACKAGE)} ({language}): run make messages"


def test_every_text_lies_in_an_app_with_a_catalogue():
    markers = ("gettext", "{% translate", "{% blocktranslate")
    orphans = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*"))
        if path.suffix in (".py", ".html")
        and "migrations" not in path.parts
        and path.parent != PACKAGE  # settings: the language names, which Django translates
        and any(marker in path.read_text() for marker in markers)
        and not any(folder in CATALOGUE_DIRS for folder in path.parents)
    ]
    assert orphans == []
