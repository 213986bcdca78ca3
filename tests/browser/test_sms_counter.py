"""The editor's live SMS counter (static/web/sms-count.js) agrees with the Python golden table."""

from pathlib import Path

import pytest

from tests.test_messaging_templates import GOLDEN

SCRIPT = Path(__file__).resolve().parents[2] / "regulars/web/static/web/sms-count.js"

pytestmark = pytest.mark.browser


def test_js_counter_matches_the_golden_table(browser):
    page = browser.new_page()
    try:
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=SCRIPT.read_text())
        texts = [text for text, *_ in GOLDEN]
        counted = page.evaluate("texts => texts.map(t => window.regularsCountSms(t))", texts)
    finally:
        page.close()
    assert [tuple(c) for c in counted] == [(enc, units, parts) for _, enc, units, parts in GOLDEN]
