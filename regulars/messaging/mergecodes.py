"""Merge codes (MSG-2, MSG-4): `#Code#` placeholders replaced per customer.

Rendering is plain substitution of this whitelist, with values HTML-escaped in HTML
bodies; user content is never run as a Django template, so a template can reach nothing
but the values listed here. Codes are allowed in the body only — a subject containing a
code is refused at save time, as is any code not in this list (naming it).

Customer:
  #FirstName# #LastName# #FullName# #Email# #Mobile#
  #Address# #Postcode# #City# #Birthday# (date of birth, e.g. 17.05.1990)
  #PointsBalance# (points across the organisation's loyalty programs)
Organisation:
  #OrganisationName# #OrganisationAddress# #OrganisationPhone# #OrganisationEmail#
  #OrganisationWebsite#
Links (a URL; on its own in HTML it becomes a link, inside href="…" just the URL):
  #DirectLink# — the campaign's chosen direct link (my page, item, item group, article,
  front page)
  #DirectLink:page# — the customer's own page
  #DirectLink:front# — the organisation's front page (its website)
  #DirectLink:item:NUMBER# — an item by its item number
  #DirectLink:itemgroup:NAME# — an item group by name
  #DirectLink:article:ID# — an article (MSG-10) by its id
  #UnsubscribeLink# — one-click unsubscribe from this message
Campaign link e-mails (MSG-9) also know #CampaignLink# and #CustomText#.

A code whose value is missing for a customer (no birthday, no first name) never renders
as a blank: the customer is skipped with the reason "no value for #Code#".
"""

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from regulars.customers.links import customer_page_url
from regulars.customers.models import Customer
from regulars.orgs.models import Organisation

from .compose import UNSUBSCRIBE_PLACEHOLDER

CODE = re.compile(r"#([A-Za-z]+(?::[^#\s<>\"']+)*)#")


class TemplateError(ValueError):
    """A template that must not be saved; the message names the problem."""


class MissingValue(ValueError):
    """A code has no value for this customer; the message is skipped, never sent blank."""


@dataclass
class MergeContext:
    organisation: Organisation
    customer: Customer | None = None
    direct_link: str = ""  # DirectLink choice of the campaign: "customer_page", "item" …
    direct_link_target: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # CampaignLink, CustomText


def _customer(attribute: str) -> Callable[[MergeContext, list[str]], str]:
    def value(ctx: MergeContext, args: list[str]) -> str:
        return str(getattr(ctx.customer, attribute) or "")

    return value


def _organisation(attribute: str) -> Callable[[MergeContext, list[str]], str]:
    def value(ctx: MergeContext, args: list[str]) -> str:
        return str(getattr(ctx.organisation, attribute) or "")

    return value


def _birthday(ctx: MergeContext, args: list[str]) -> str:
    born = ctx.customer.birth_date if ctx.customer else None
    return born.strftime("%d.%m.%Y") if born else ""


def _points(ctx: MergeContext, args: list[str]) -> str:
    if ctx.customer is None or ctx.customer.pk is None:
        return "0"
    balances = getattr(ctx.customer, "point_balances", None)
    if balances is None:
        return "0"
    return str(balances.aggregate(total=Sum("points"))["total"] or 0)


def _front(org: Organisation) -> str:
    return (org.website or settings.SITE_URL).rstrip("/")


def direct_link_url(ctx: MergeContext, kind: str, target: str) -> str:
    """The URL of a direct link (MSG-4)."""
    org = ctx.organisation
    if kind in ("page", "customer_page"):
        return customer_page_url(ctx.customer.pk) if ctx.customer and ctx.customer.pk else ""
    if kind == "front":
        return _front(org) + "/"
    if kind == "item":
        return f"{_front(org)}/items/{quote(target, safe='')}"
    if kind in ("itemgroup", "item_group"):
        return f"{_front(org)}/item-groups/{quote(target, safe='')}"
    if kind == "article":
        return f"{settings.SITE_URL}/t/a/{org.slug}/{quote(target, safe='')}/"
    return ""


def _direct_link(ctx: MergeContext, args: list[str]) -> str:
    if args:
        return direct_link_url(ctx, args[0], ":".join(args[1:]))
    return direct_link_url(ctx, ctx.direct_link, ctx.direct_link_target)


def _extra(name: str) -> Callable[[MergeContext, list[str]], str]:
    def value(ctx: MergeContext, args: list[str]) -> str:
        return ctx.extra.get(name, "")

    return value


CODES: dict[str, Callable[[MergeContext, list[str]], str]] = {
    "FirstName": _customer("first_name"),
    "LastName": _customer("last_name"),
    "FullName": _customer("full_name"),
    "Email": _customer("email"),
    "Mobile": _customer("mobile"),
    "Address": _customer("address"),
    "Postcode": _customer("postcode"),
    "City": _customer("city"),
    "Birthday": _birthday,
    "PointsBalance": _points,
    "OrganisationName": _organisation("name"),
    "OrganisationAddress": _organisation("address"),
    "OrganisationPhone": _organisation("phone"),
    "OrganisationEmail": _organisation("email"),
    "OrganisationWebsite": _organisation("website"),
    "DirectLink": _direct_link,
    "UnsubscribeLink": lambda ctx, args: UNSUBSCRIBE_PLACEHOLDER,
    "CampaignLink": _extra("CampaignLink"),
    "CustomText": _extra("CustomText"),
}
# The codes an editor offers, in order (the module docstring says what each one gives).
CODE_HELP = [
    ("#FirstName#", _("first name")),
    ("#LastName#", _("last name")),
    ("#FullName#", _("full name")),
    ("#Email#", _("e-mail address")),
    ("#Mobile#", _("mobile number")),
    ("#Address#", _("street address")),
    ("#Postcode#", _("postcode")),
    ("#City#", _("city")),
    ("#Birthday#", _("date of birth")),
    ("#PointsBalance#", _("loyalty points balance")),
    ("#OrganisationName#", _("your business's name")),
    ("#OrganisationAddress#", _("your address")),
    ("#OrganisationPhone#", _("your phone")),
    ("#OrganisationEmail#", _("your e-mail")),
    ("#OrganisationWebsite#", _("your website")),
    ("#DirectLink#", _("the campaign's direct link")),
    ("#DirectLink:page#", _("the customer's own page")),
    ("#DirectLink:front#", _("your front page")),
    ("#DirectLink:item:NUMBER#", _("an item")),
    ("#DirectLink:itemgroup:NAME#", _("an item group")),
    ("#DirectLink:article:ID#", _("an article")),
    ("#UnsubscribeLink#", _("one-click unsubscribe")),
]
LINK_CODES = {"DirectLink", "UnsubscribeLink", "CampaignLink"}
DIRECT_LINK_KINDS = {"page": 0, "front": 0, "item": 1, "itemgroup": 1, "article": 1}
CAMPAIGN_LINK_CODES = {"CampaignLink", "CustomText"}


def codes_in(text: str) -> list[str]:
    return [match.group(0) for match in CODE.finditer(text or "")]


def validate_subject(subject: str) -> None:
    if found := codes_in(subject):
        raise TemplateError(
            f"merge codes are allowed in the text only, not in the subject: {', '.join(found)}"
        )


def validate_body(body: str, *, campaign_link: bool = False, has_direct_link: bool = True) -> None:
    """Refuse unknown codes (naming them), a malformed #DirectLink:…#, and broken HTML."""
    for match in CODE.finditer(body or ""):
        name, *args = match.group(1).split(":")
        if name not in CODES or (name in CAMPAIGN_LINK_CODES and not campaign_link):
            raise TemplateError(f"unknown merge code {match.group(0)}")
        if name == "DirectLink":
            _validate_direct_link(match.group(0), args, has_direct_link)
    check_html(body or "")


def _validate_direct_link(code: str, args: list[str], has_direct_link: bool) -> None:
    if not args:
        if not has_direct_link:
            raise TemplateError(f"{code} needs the direct link to be chosen")
        return
    kind = args[0]
    if kind not in DIRECT_LINK_KINDS:
        raise TemplateError(f"unknown merge code {code}: no direct link to {kind!r}")
    if DIRECT_LINK_KINDS[kind] and len(args) < 2:
        raise TemplateError(f"{code} needs a target, e.g. #DirectLink:{kind}:…#")


def link_targets(body: str) -> list[tuple[str, str, str]]:
    """(code, kind, target) of each #DirectLink:kind:target# in a body."""
    found = []
    for match in CODE.finditer(body or ""):
        name, *args = match.group(1).split(":")
        if name == "DirectLink" and len(args) >= 2:
            found.append((match.group(0), args[0], ":".join(args[1:])))
    return found


def check_link_target(organisation: Organisation, kind: str, target: str) -> bool:
    """Whether the item, item group or article a direct link names exists (in this org)."""
    from regulars.commerce.models import Item, ItemGroup

    from .models import Article

    if kind == "item":
        return Item.objects.filter(organisation=organisation, number=target).exists()
    if kind in ("itemgroup", "item_group"):
        return ItemGroup.objects.filter(organisation=organisation, name=target).exists()
    if kind == "article":
        return (
            target.isdigit()
            and Article.objects.filter(organisation=organisation, pk=int(target)).exists()
        )
    return True


@dataclass(frozen=True)
class _Code:
    text: str  # as written, e.g. "#DirectLink:front#"
    name: str
    args: list[str]
    as_link: bool  # a link code on its own in HTML: rendered as <a href="…">…</a>


@dataclass(frozen=True)
class CompiledTemplate:
    """A body split once into literal text and codes; rendering only fills in values."""

    parts: tuple[str | _Code, ...]
    as_html: bool

    def render(self, ctx: MergeContext) -> str:
        return "".join(
            part if isinstance(part, str) else self._value(part, ctx) for part in self.parts
        )

    def _value(self, code: _Code, ctx: MergeContext) -> str:
        value = CODES[code.name](ctx, code.args)
        if not value:
            raise MissingValue(f"no value for {code.text}")
        if not self.as_html:
            return value
        if code.as_link:
            url = html.escape(value)
            return f'<a href="{url}">{url}</a>'
        return html.escape(value)


@functools.lru_cache(maxsize=64)
def compile_template(text: str, *, as_html: bool) -> CompiledTemplate:
    """Split a body into literals and codes (TemplateError naming an unknown code)."""
    parts: list[str | _Code] = []
    position = 0
    for match in CODE.finditer(text):
        name, *args = match.group(1).split(":")
        if name not in CODES:
            raise TemplateError(f"unknown merge code {match.group(0)}")
        as_link = as_html and name in LINK_CODES and not _inside_attribute(match)
        parts += [text[position : match.start()], _Code(match.group(0), name, args, as_link)]
        position = match.end()
    parts.append(text[position:])
    return CompiledTemplate(tuple(part for part in parts if part != ""), as_html)


def render(text: str, ctx: MergeContext, *, as_html: bool) -> str:
    """Substitute every code; raise MissingValue when a code has no value for this customer."""
    return compile_template(text or "", as_html=as_html).render(ctx)


def _inside_attribute(match: re.Match) -> bool:
    before = match.string[max(0, match.start() - 1) : match.start()]
    return before in {'"', "'", "="}


# Elements that never have a closing tag.
VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "source", "wbr"}
FORBIDDEN = {"script", "iframe", "object", "embed", "form", "base"}
# Elements whose end tag HTML lets the writer leave out; not balance-checked.
OPTIONAL_END = {"p", "li", "td", "th", "tr", "dt", "dd", "option", "thead", "tbody", "tfoot"}


class _HtmlChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        if tag in FORBIDDEN:
            raise TemplateError(f"HTML line {line}: <{tag}> is not allowed in a message")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                raise TemplateError(f"HTML line {line}: <{tag} {name}=…> is not allowed")
        if tag not in VOID and tag not in OPTIONAL_END:
            self.open.append((tag, line))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and tag not in OPTIONAL_END:
            self.open.pop()

    def handle_endtag(self, tag):
        line = self.getpos()[0]
        if tag in VOID or tag in OPTIONAL_END:
            return
        if not self.open or self.open[-1][0] != tag:
            expected = f"</{self.open[-1][0]}>" if self.open else "no closing tag"
            raise TemplateError(f"HTML line {line}: </{tag}> found where {expected} was expected")
        self.open.pop()


def check_html(body: str) -> None:
    """Refuse HTML with unbalanced tags, scripts or event handlers, naming the line."""
    checker = _HtmlChecker()
    checker.feed(body)
    checker.close()
    if checker.open:
        tag, line = checker.open[-1]
        raise TemplateError(f"HTML line {line}: <{tag}> is never closed")
