"""Production: PostgreSQL, a real secret key and explicit hosts are required; HTTPS behind
a reverse proxy (docs/deploy.md). `manage.py check --deploy --fail-level WARNING` passes."""

from .base import *  # noqa: F403
from .base import configured_database, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": configured_database(env.db("DATABASE_URL"), conn_max_age=60)}

# HTTPS: nginx terminates TLS and says so in X-Forwarded-Proto; a plain-HTTP request is
# redirected, and browsers are told to use HTTPS only for a year (HSTS).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)  # a directive only: nothing is submitted
# /healthz answers the proxy's and the monitor's plain-HTTP probe on 127.0.0.1
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Static files compressed (gzip, and brotli where installed) and named by their content's
# hash, served by whitenoise with far-future caching: `collectstatic` at each install.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
