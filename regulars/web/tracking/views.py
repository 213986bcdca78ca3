"""Public tracking pages (no login): open pixel, click redirect, unsubscribe, articles, and
the SMS STOP webhook. A tampered or unknown token is a 404 — never a redirect elsewhere."""

import base64
import hashlib
import hmac
import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from regulars.messaging.models import Article, Message
from regulars.orgs.models import Organisation
from regulars.tracking import actions
from regulars.tracking.links import token_is_valid

# The smallest transparent GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _message(message_id: int, value: str, token: str) -> Message:
    if not token_is_valid(message_id, value, token):
        raise Http404
    return get_object_or_404(Message.objects.select_related("organisation"), pk=message_id)


def _agent(request: HttpRequest) -> str:
    return request.headers.get("User-Agent", "")[:400]


def open_pixel(request: HttpRequest, message_id: int, token: str) -> HttpResponse:
    actions.record_open(message=_message(message_id, "open", token), user_agent=_agent(request))
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


def click(request: HttpRequest, message_id: int, token: str) -> HttpResponse:
    target = request.GET.get("u", "")
    if not target.startswith(("https://", "http://")):
        raise Http404
    message = _message(message_id, target, token)
    actions.record_click(message=message, url=target, user_agent=_agent(request))
    return HttpResponseRedirect(target)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, message_id: int, token: str) -> HttpResponse:
    """GET shows a confirm page only; POST (the RFC 8058 one-click, or the page's button)
    unsubscribes and answers 200 — never a redirect, never a login."""
    message = _message(message_id, "unsubscribe", token)
    context = {"organisation": message.organisation, "message": message}
    # The page speaks the language the message was written in.
    with translation.override(message.organisation.language or None):
        if request.method == "POST":
            actions.unsubscribe(message=message)
            return render(request, "web/tracking/unsubscribed.html", context)
        return render(request, "web/tracking/unsubscribe.html", context)


def article(request: HttpRequest, slug: str, article_id: int) -> HttpResponse:
    """An article (MSG-10) as a public page, the target of #DirectLink:article:ID#."""
    found = get_object_or_404(Article, pk=article_id, organisation__slug=slug)
    return render(request, "web/tracking/article.html", {"article": found})


def _signed_generic(request: HttpRequest) -> bool:
    secret = settings.SMS_WEBHOOK_SECRET.encode()
    given = request.headers.get("X-Regulars-Signature", "")
    expected = hmac.new(secret, request.body, hashlib.sha256).hexdigest()
    return bool(secret) and hmac.compare_digest(expected, given)


def _signed_twilio(request: HttpRequest) -> bool:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL plus sorted POST params."""
    secret = settings.SMS_GATEWAY_TOKEN.encode()
    url = settings.SITE_URL + request.get_full_path()
    payload = url + "".join(f"{k}{v}" for k, v in sorted(request.POST.items()))
    digest = hmac.new(secret, payload.encode(), hashlib.sha1).digest()
    expected = base64.b64encode(digest).decode()
    given = request.headers.get("X-Twilio-Signature", "")
    return bool(secret) and hmac.compare_digest(expected, given)


@csrf_exempt
@require_POST
def sms_reply(request: HttpRequest, slug: str, gateway: str) -> HttpResponse:
    """An SMS reply from a gateway; STOP withdraws SMS consent (DATA-6)."""
    organisation = get_object_or_404(Organisation, slug=slug)
    if gateway == "twilio":
        if not _signed_twilio(request):
            return JsonResponse({"detail": "bad signature"}, status=403)
        sender, text = request.POST.get("From", ""), request.POST.get("Body", "")
    elif gateway == "generic":
        if not _signed_generic(request):
            return JsonResponse({"detail": "bad signature"}, status=403)
        try:
            body = json.loads(request.body)
            sender, text = str(body["from"]), str(body["text"])
        except (ValueError, KeyError, TypeError):
            return JsonResponse({"detail": 'expected JSON {"from", "text"}'}, status=400)
    else:
        raise Http404
    stopped = actions.sms_stop(
        organisation=organisation, mobile=sender, text=text, source=f"sms reply ({gateway})"
    )
    return JsonResponse({"stopped": stopped})
