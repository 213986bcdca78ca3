"""Request-wide behaviour of the back office: the staff member's language and the CSP."""

import secrets

from django.utils import translation

from regulars.orgs.models import StaffProfile

SUPPORTED_LANGUAGES = ("en", "da", "nb")


class StaffLanguageMiddleware:
    """Speak the language the staff member chose (StaffProfile.language), on every device.

    Runs after authentication; anonymous visitors keep what LocaleMiddleware found
    (language cookie, then the browser's Accept-Language).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._saved_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)

    @staticmethod
    def _saved_language(request) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        language = StaffProfile.objects.filter(user=user).values_list("language", flat=True).first()
        return language if language in SUPPORTED_LANGUAGES else ""


class ContentSecurityPolicyMiddleware:
    """Allow scripts, styles, images and forms from this site only.

    Inline <script>/<style> elements need the per-request nonce
    (`<script nonce="{{ request.csp_nonce }}">`); style attributes are allowed because
    they cannot run code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy(nonce))
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response

    @staticmethod
    def policy(nonce: str) -> str:
        return "; ".join(
            [
                "default-src 'self'",
                f"script-src 'self' 'nonce-{nonce}'",
                f"style-src 'self' 'nonce-{nonce}'",
                "style-src-attr 'unsafe-inline'",
                "img-src 'self' data:",
                "font-src 'self'",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )
