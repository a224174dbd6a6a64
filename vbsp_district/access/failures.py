"""When the database cannot be reached: a 503 page in Vietnamese, never a traceback.

A PostgreSQL restart (or a network cut) breaks the statements in flight and refuses new
connections for a few seconds. Every write runs in one transaction, so a request that
fails this way has written nothing; the user is told so and asked to try again.
`DatabaseUnavailableMiddleware` answers for the views, `server_error` (handler500) for a
failure before or after the view (the session read by the sign-in check, saved on the
way out). The workers keep running: the next request opens a new connection
(`CONN_HEALTH_CHECKS` drops a kept one that no longer answers).
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

# What the database driver raises when the server is gone or refuses the connection.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable_response() -> HttpResponse:
    """The 503 page: rendered without the request, so it reads nothing from the database."""
    return HttpResponse(
        render_to_string("503.html"),
        status=503,
        content_type="text/html; charset=utf-8",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
    )


class DatabaseUnavailableMiddleware:
    """A view that loses the database answers 503 with the page, whatever DEBUG says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.error("Database unreachable: %s %s (%s)", request.method, request.path, exception.__class__.__name__)
        return database_unavailable_response()


def server_error(request, template_name="500.html"):
    """handler500: the 503 page when what failed was reaching the database, else the 500 page."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable_response()
    return defaults.server_error(request, template_name)
