"""The editor's live SMS counter (static/web/sms-count.js) agrees with the Python golden table."""

import shutil
from pathlib import Path

import pytest

from tests.test_messaging_templates import GOLDEN

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCRIPT = Path(__file__).resolve().parent.parent / "regulars/web/static/web/sms-count.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed"),
]


def test_js_counter_matches_the_golden_table():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=SCRIPT.read_text())
        texts = [text for text, *_ in GOLDEN]
        counted = page.evaluate("texts => texts.map(t => window.regularsCountSms(t))", texts)
        browser.close()
    assert [tuple(c) for c in counted] == [(enc, units, parts) for _, enc, units, parts in GOLDEN]
