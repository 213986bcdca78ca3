"""Settings, all from environment variables (see README "Configuration")."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("REGULARS_VAR_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


PRODUCTION = env_bool("REGULARS_PRODUCTION")
DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    """Production demands SECRET_KEY; the embedded mode keeps a generated one under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when REGULARS_PRODUCTION is on")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "anymail",
    "regulars.orgs",
    "regulars.customers",
    "regulars.commerce",
    "regulars.imports",
    "regulars.segments",
    "regulars.messaging",
    "regulars.tracking",
    "regulars.loyalty",
    "regulars.integrations",
    "regulars.demo",
    "regulars.web",
    "regulars.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]
# Back office: the staff member's saved language (needs the user) and the
# Content-Security-Policy header (scripts and styles from this site only).
MIDDLEWARE += [
    "regulars.web.shell.middleware.StaffLanguageMiddleware",
    "regulars.web.shell.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "regulars.urls"
WSGI_APPLICATION = "regulars.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each back-office area keeps its templates beside its views (regulars/web/<area>/).
        "DIRS": sorted(BASE_DIR.glob("web/*/templates")),
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite under var/ unless DATABASE_URL says otherwise.
_default_sqlite = f"sqlite:///{VAR_DIR / 'regulars.sqlite3'}"
# DATABASE_CONN_MAX_AGE: seconds a connection is kept between requests (0: one per request);
# a kept connection is checked before each request reuses it.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and the single writer work at once; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue instead of failing to upgrade a read lock.
        # Reads through a memory map of the file's first 2 GiB (SQLite's usual build caps it
        # there) share the operating system's cache across connections, where SQLite's own
        # page cache starts empty for each one and copies every page it reads: segment
        # counts probing customer rows all over a large table (1M customers: the nested
        # segment 165 -> 141 ms, impulsive buyers 100 -> 68 ms).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=2147418112;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Segment counts hash large anti-joins (opposite, "not within"); the default 4 MB
    # work_mem makes PostgreSQL rescan them per customer instead. JIT compilation of a
    # high-cost plan takes longer than running these sub-second queries. A random page read
    # costs little more than a sequential one on SSDs and in memory (random_page_cost 1.1,
    # the usual SSD setting; the default 4 is for spinning disks): segment counts then probe
    # the narrow covering indexes instead of scanning the wide customer table (1M
    # customers: the nested segment 222 -> 130 ms, its dashboard counts 435 -> 328 ms).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c work_mem=64MB -c jit=off -c random_page_cost=1.1"
    )
    # Statements on a cursor that binds on the server are prepared once per connection from
    # their second run (the till's hot path, regulars/loyalty/sql.py); Django's own cursors
    # bind on the client and are never prepared. A pooler in front of PostgreSQL must then
    # keep prepared statements (PgBouncer 1.21+: max_prepared_statements).
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 1
# Each test run gets its own throwaway database, so parallel runs never collide.
_test_db_name = os.environ.get("REGULARS_TEST_DB_NAME") or f"test_regulars_{os.getpid()}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so worker processes started by tests share the database.
    _test_db_name = str(VAR_DIR / f"{_test_db_name}.sqlite3")
DATABASES["default"]["TEST"] = {"NAME": _test_db_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("da", _("Danish")), ("nb", _("Norwegian Bokmål"))]
# Domain apps carry their own locale/; back-office areas too (regulars/web/<area>/locale).
LOCALE_PATHS = sorted(BASE_DIR.glob("web/*/locale"))
USE_I18N = True
# English dates the European way (day/month, 24 h); see regulars/web/formats/en.
FORMAT_MODULE_PATH = ["regulars.web.formats"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_ORG_TIMEZONE = "Europe/Copenhagen"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# Security: cookies and headers.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0

# Mail: Django's backends or django-anymail's; the embedded mode keeps messages on disk.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "regulars.messaging.backends.OutboxEmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Regulars <noreply@localhost>")
OUTBOX_DIR = Path(os.environ.get("REGULARS_OUTBOX_DIR", VAR_DIR / "outbox"))
# Delivery ledger (regulars.messaging.delivery): a claim older than the lease is presumed
# dead and re-queued; transient failures back off from the retry base, doubling.
MESSAGING_LEASE_SECONDS = float(os.environ.get("MESSAGING_LEASE_SECONDS", "300"))
MESSAGING_RETRY_BASE_SECONDS = float(os.environ.get("MESSAGING_RETRY_BASE_SECONDS", "30"))
MESSAGING_WORKER_THREADS = int(os.environ.get("MESSAGING_WORKER_THREADS", "2"))
LETTERS_DIR = Path(os.environ.get("REGULARS_LETTERS_DIR", VAR_DIR / "letters"))
# SMS: "outbox" (kept on disk beside the e-mail outbox), "generic", "gatewayapi", "twilio".
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "outbox")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_ACCOUNT = os.environ.get("SMS_GATEWAY_ACCOUNT", "")
SMS_SENDER = os.environ.get("SMS_SENDER", "Regulars")
SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET", "")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_")
}

# Background work: `regulars worker` in-process, or Celery when a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# The same functions as `regulars worker` (regulars.messaging.tasks).
CELERY_BEAT_SCHEDULE = {
    "deliver-due": {"task": "regulars.messaging.deliver_due", "schedule": 5.0},
    "periodic": {"task": "regulars.messaging.run_due_periodic", "schedule": 10.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
