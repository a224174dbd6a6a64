"""Around every request: NUL characters and users without a role refused before any
view runs, the client's address behind a proxy, and sessions that end when idle."""

import time

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from ..core.text import has_nul

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_MESSAGE = "Dữ liệu gửi lên có ký tự NUL (mã 0) không hợp lệ; hãy quay lại và nhập lại."
API_NUL_MESSAGE = "Tham số có ký tự NUL (mã 0) không hợp lệ."


class RejectNulMiddleware:
    """A NUL in the path, a query parameter or a posted field answers 400 with a message (the
    API's JSON under /api/).

    No database stores it (PostgreSQL refuses it in text), so it never reaches a view.
    Posted fields are checked whether form-encoded or multipart (uploaded files are not
    fields: the workbook reader judges their content).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        texts = [request.path]
        for key, values in request.GET.lists():
            texts += [key, *values]
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            for key, values in request.POST.lists():
                texts += [key, *values]
        if has_nul(*texts):
            if request.path.startswith("/api/"):
                return _api_refusal(request)
            return render(request, "400.html", {"message": NUL_MESSAGE}, status=400)
        return self.get_response(request)


def _api_refusal(request) -> JsonResponse:
    """The API's 400: the message under the parameter whose value holds the NUL (as the
    API names a bad parameter), under "detail" when it is in a name or the path."""
    name = next((key for key, values in request.GET.lists() if not has_nul(key) and has_nul(*values)), "detail")
    return JsonResponse({name: [API_NUL_MESSAGE]}, status=400, json_dumps_params={"ensure_ascii": False})


class RoleRequiredMiddleware:
    """A signed-in user with no role sees one page that says so, and can only sign out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.scope.role is None:
            if request.path not in (reverse("logout"), reverse("login")):
                return render(request, "no_role.html", status=403)
        return self.get_response(request)


def client_ip(request) -> str | None:
    """The client's address, as the sign-in lock-out sees it.

    Behind `DJANGO_PROXY_COUNT` reverse proxies, each appends the address it was reached
    from to X-Forwarded-For, so the client is the entry that many places from the right;
    entries to its left were sent by the client and are not trusted. Without a proxy, the
    connection's own address.
    """
    from django.conf import settings

    count = settings.VBSP_PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


SESSION_STAMP = "_refreshed"
SESSION_REFRESH_SECONDS = 600


def session_stamp(sender, request, user, **kwargs):
    """On sign-in: the session's expiry was just set, note when (`user_logged_in`)."""
    request.session[SESSION_STAMP] = int(time.time())


class SessionRefreshMiddleware:
    """Moves a signed-in session's expiry on, at most every ten minutes.

    A session expires `SESSION_COOKIE_AGE` after it was last saved; saving it on every
    request would write on every page, so it is saved only when the last save is ten
    minutes old. The idle limit is thus kept to within ten minutes, with no write on
    most reads.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(time.time())
            if now - session.get(SESSION_STAMP, 0) >= SESSION_REFRESH_SECONDS:
                session[SESSION_STAMP] = now
        return response


# The query parameters' former Vietnamese names → their names now.
LEGACY_PARAMETERS = {"ngay": "date", "xa": "commune"}


class LegacyQueryMiddleware:
    """A GET with a former parameter name (`?ngay=`, `?xa=`) is redirected, permanently,
    to the same address with today's names, so that old links and bookmarks still work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and any(old in request.GET for old in LEGACY_PARAMETERS):
            query = request.GET.copy()
            for old, new in LEGACY_PARAMETERS.items():
                if old in query:
                    values = query.pop(old)
                    if new not in query:
                        query.setlist(new, values)
            return HttpResponsePermanentRedirect(f"{request.path}?{query.urlencode()}" if query else request.path)
        return self.get_response(request)
