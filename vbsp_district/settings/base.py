"""Settings shared by every environment, read through django-environ."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])


def configured_database(db: dict, conn_max_age: int = 0) -> dict:
    """DATABASE_URL's database as the app uses it (production.py applies it too)."""
    db["ATOMIC_REQUESTS"] = False
    db["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=conn_max_age)
    # A kept connection is checked before a request reuses it: after a database restart
    # the workers reconnect on their own instead of failing one request each.
    db["CONN_HEALTH_CHECKS"] = True
    if db["ENGINE"] == "django.db.backends.sqlite3":
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # Writers wait for each other instead of failing with "database is locked"; in WAL
        # mode a long read (an export) never blocks them (vbsp_district.core.db.read_snapshot).
        db.setdefault("OPTIONS", {}).update(
            {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"}
        )
    elif db["ENGINE"] == "django.db.backends.postgresql":
        # No parallel workers within a statement: the server's cores serve concurrent
        # requests (and the store build's threads), and a page's small statements only
        # pay the workers' start-up. DJANGO_PG_PARALLEL_WORKERS sets another number.
        workers = env.int("DJANGO_PG_PARALLEL_WORKERS", default=0)
        db.setdefault("OPTIONS", {})["options"] = f"-c max_parallel_workers_per_gather={workers}"
    return db


DATABASES = {
    "default": configured_database(env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db' / 'vbsp.sqlite3'}")),
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "vbsp_district",
    "groups",
    "lending",
    "reporting",
    "emulation",
    "dashboards",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # the static files served by the app itself, compressed and hashed (no CDN, no nginx needed)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # a view that loses the database answers 503 with a page, never a traceback
    "vbsp_district.access.failures.DatabaseUnavailableMiddleware",
    "vbsp_district.access.middleware.RejectNulMiddleware",
    "vbsp_district.access.middleware.LegacyQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vbsp_district.access.middleware.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "vbsp_district.access.scoping.ScopeMiddleware",
    "vbsp_district.access.middleware.RoleRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it locks out repeated failed sign-ins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Brute-force lock-out: 5 failures for one user name from one client, 15 minutes' cool-off.
# Locking the pair (not the user name alone) means nobody can lock a colleague out from
# another PC. Behind a reverse proxy set DJANGO_PROXY_COUNT (1 for one nginx): the client
# is then read from X-Forwarded-For, else every client would share the proxy's address.
VBSP_PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "vbsp_district.access.middleware.client_ip"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

ROOT_URLCONF = "vbsp_district.urls"
WSGI_APPLICATION = "vbsp_district.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vbsp_district.access.context.navigation",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "vi"
# The office works in Vietnamese only: a browser asking for English still gets 1.234.567.
LANGUAGES = [("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
NUMBER_GROUPING = 3
THOUSAND_SEPARATOR = "."
DECIMAL_SEPARATOR = ","
FORMAT_MODULE_PATH = ["vbsp_district.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic's folder, served by whitenoise (created here so that it may serve an empty one)
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
# An upload over FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB; a workbook at most 64 MB) is spooled to
# a file with no name on disk, so that a worker killed mid-request leaves nothing behind
# (vbsp_district/core/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "vbsp_district.core.uploads.AnonymousTemporaryFileUploadHandler",
]

# Content security policy (django-csp): scripts, styles, images and fonts from the app's
# own static files only, nothing from another site, no inline script and no framing.
# Inline styles stay allowed: the charts are inline SVG with their own <style>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The largest amount one posting may carry: three zeros too many are caught, not posted.
VBSP_MAX_POSTING_AMOUNT = env.int("VBSP_MAX_POSTING_AMOUNT", default=2_000_000_000)

# Work too long for a request (a workbook import) is queued in the database and run by
# the worker, `manage.py db_worker` (docs/deploy.md: a service beside gunicorn).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Figures kept between requests while the book is unchanged (reporting/cache.py): files
# shared by every worker of the server, under var/ by default. FIGURES_CACHE_URL names
# another cache (django-environ's form, e.g. rediscache://127.0.0.1:6379/1).
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
    "figures": env.cache("FIGURES_CACHE_URL", default=f"filecache://{BASE_DIR / 'var' / 'figures'}"),
}
CACHES["figures"].setdefault("TIMEOUT", 24 * 3600)
CACHES["figures"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 2000)

# Sessions on shared office PCs: gone when the browser closes, and after a working day
# without a request (vbsp_district.access.middleware.SessionRefreshMiddleware moves it on).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_IDLE_HOURS", default=9) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Errors (a 500's traceback among them) and warnings go to standard error, where the
# WSGI server's log or the journal keeps them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"


# The report API (reporting/api.py): read-only JSON for signed-in users, the session being
# the only sign-in; an anonymous caller gets 403 and no data. Its OpenAPI schema and the
# documentation page are served from the app's own static files (the sidecar).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "reporting.api.exception_handler",
    # `?format=` is an unknown parameter like any other, not a renderer switch
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "vbsp-district report API",
    "DESCRIPTION": (
        "Read-only figures of the district office (DESIGN §4, formats/district-report.md), "
        "cut to the signed-in user's scope: an association officer sees their association only."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_AUTHENTICATION": ["rest_framework.authentication.SessionAuthentication"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
