"""Merge codes (MSG-2, MSG-4) and SMS counting (MSG-3): save-time errors, sandboxed rendering."""

from datetime import date

import pytest
from django.utils import timezone

from regulars.customers.models import Customer
from regulars.messaging import mergecodes
from regulars.messaging.compose import UNSUBSCRIBE_PLACEHOLDER, html_to_text
from regulars.messaging.mergecodes import MergeContext, MissingValue, TemplateError
from regulars.messaging.sms import count_sms, validate_sms


@pytest.fixture
def customer(org):
    return Customer.objects.create(
        organisation=org,
        first_name="Åse <b>",
        last_name="Ødegård",
        email="ase@example.com",
        birth_date=date(1990, 5, 17),
        created_at=timezone.now(),
    )


def test_subject_with_a_code_is_refused():
    with pytest.raises(TemplateError, match="not in the subject: #FirstName#"):
        mergecodes.validate_subject("Hello #FirstName#")
    mergecodes.validate_subject("Happy birthday")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("<p>Hi #FristName#</p>", "unknown merge code #FristName#"),
        ("<p>#DirectLink:shop:1#</p>", "unknown merge code #DirectLink:shop:1#: no direct link"),
        ("<p>#DirectLink:item#</p>", "#DirectLink:item# needs a target"),
        ("<p>#CustomText#</p>", "unknown merge code #CustomText#"),
        ("<div><p>Hi</span></div>", "HTML line 1: </span> found where </div> was expected"),
        ("<div>\n<b>Hi</div>", "HTML line 2: </div> found where </b> was expected"),
        ("<div>Hi", "HTML line 1: <div> is never closed"),
        ("<p>x</p><script>alert(1)</script>", "HTML line 1: <script> is not allowed"),
        ('<a href="javascript:alert(1)">x</a>', "HTML line 1: <a href=…> is not allowed"),
        ('<img src="x" onerror="alert(1)">', "HTML line 1: <img onerror=…> is not allowed"),
    ],
)
def test_bad_bodies_are_refused_naming_the_problem(body, error):
    with pytest.raises(TemplateError) as raised:
        mergecodes.validate_body(body)
    assert str(raised.value) == error or str(raised.value).startswith(error)


def test_good_body_passes_including_implied_paragraph_ends():
    mergecodes.validate_body("<p>Hi #FirstName#<p>See <a href='#DirectLink:front#'>us</a><br>")
    mergecodes.validate_body("<p>#CampaignLink# #CustomText#</p>", campaign_link=True)


def test_render_escapes_values_and_runs_no_template_code(org, customer):
    ctx = MergeContext(organisation=org, customer=customer)
    body = "<p>Hej #FirstName# #LastName#, {{ settings.SECRET_KEY }} {% debug %} #Birthday#</p>"
    assert mergecodes.render(body, ctx, as_html=True) == (
        "<p>Hej Åse &lt;b&gt; Ødegård, {{ settings.SECRET_KEY }} {% debug %} 17.05.1990</p>"
    )
    assert mergecodes.render("#FirstName#", ctx, as_html=False) == "Åse <b>"


def test_links_render_as_links_or_as_urls_inside_attributes(org, customer):
    org.website = "https://salon.example"
    ctx = MergeContext(
        organisation=org, customer=customer, direct_link="item", direct_link_target="A 12"
    )
    assert mergecodes.render("#DirectLink#", ctx, as_html=True) == (
        '<a href="https://salon.example/items/A%2012">https://salon.example/items/A%2012</a>'
    )
    assert mergecodes.render('<a href="#DirectLink:front#">x</a>', ctx, as_html=True) == (
        '<a href="https://salon.example/">x</a>'
    )
    page = mergecodes.render("#DirectLink:page#", ctx, as_html=False)
    assert page.startswith("http://127.0.0.1:8000/me/")
    assert mergecodes.render("#UnsubscribeLink#", ctx, as_html=False) == UNSUBSCRIBE_PLACEHOLDER


def test_missing_value_is_an_error_not_a_blank(org, customer):
    customer.birth_date = None
    with pytest.raises(MissingValue, match="no value for #Birthday#"):
        mergecodes.render(
            "Born #Birthday#", MergeContext(organisation=org, customer=customer), as_html=True
        )


def test_text_part_is_generated_from_html():
    text = html_to_text(
        "<h1>News</h1><p>Hello <b>there</b>,<br>see <a href='https://x.example/a'>this</a>.</p>"
        "<ul><li>one</li><li>two</li></ul><style>p{}</style>"
    )
    assert text == "News\n\nHello there,\nsee this (https://x.example/a).\n\n- one\n\n- two"


# Golden table (MSG-3): text → (encoding, units, parts). The editor's JS uses the same rules.
GOLDEN = [
    ("", "GSM-7", 0, 0),
    ("Hej", "GSM-7", 3, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),
    ("€" * 81, "GSM-7", 162, 2),
    # An escape pair never straddles two parts: 152 + € does not fit in 153.
    ("a" * 152 + "€" + "a" * 8, "GSM-7", 162, 2),
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
    ("Rødgrød med fløde æøå ÆØÅ", "GSM-7", 25, 1),
    ("Hej [x] {y} ~ ^ | \\", "GSM-7", 27, 1),  # 19 characters, 8 of them extension
    ("Tak 😀", "UCS-2", 6, 1),
    ("ñ" * 10 + "ç", "UCS-2", 11, 1),
    ("ł" * 70, "UCS-2", 70, 1),
    ("ł" * 71, "UCS-2", 71, 2),
    ("ł" * 134, "UCS-2", 134, 2),
    ("ł" * 135, "UCS-2", 135, 3),
    ("ł" * 66 + "😀", "UCS-2", 68, 1),
    # A surrogate pair never straddles two parts either.
    ("ł" * 66 + "😀" + "ł" * 66, "UCS-2", 134, 3),
]


@pytest.mark.parametrize(("text", "encoding", "units", "parts"), GOLDEN)
def test_sms_golden_table(text, encoding, units, parts):
    count = count_sms(text)
    assert (count.encoding, count.units, count.parts) == (encoding, units, parts)


def test_sms_over_ten_parts_is_refused():
    validate_sms("a" * 1530)
    with pytest.raises(ValueError, match="needs 11 parts"):
        validate_sms("a" * 1531)
    with pytest.raises(ValueError, match="empty"):
        validate_sms("  ")
