from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.urls import include, path, re_path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from .views import audit_trail

# Paths and query parameters are English words, as in the code (the pages speak
# Vietnamese). Links from before keep working: the old Vietnamese paths redirect here,
# and the old parameters (`ngay`, `xa`) are renamed by LegacyQueryMiddleware.
LEGACY_PATHS = {"dang-nhap": "login", "dang-xuat": "logout", "quan-tri": "admin"}


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """The server and its database answer: 200 "ok", else 503 (for the proxy and the
    monitor; no sign-in, nothing about the book)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def _moved(url: str):
    """A permanent redirect that keeps the query string and needs no sign-in."""
    return login_not_required(RedirectView.as_view(url=url, permanent=True, query_string=True))


urlpatterns = [
    path("healthz/", healthz, name="healthz"),
    path("audit/", audit_trail, name="audit_trail"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    *(re_path(rf"^{old}/(?P<rest>.*)$", _moved(f"/{new}/%(rest)s")) for old, new in LEGACY_PATHS.items()),
    path("", include("groups.urls")),
    path("", include("lending.urls")),
    path("", include("reporting.urls")),
    path("", include("emulation.urls")),
    path("", include("dashboards.urls")),
    path("", include("reports.urls")),
]

# The database unreachable before or after the view (the session): 503, not the 500 page.
handler500 = "vbsp_district.access.failures.server_error"

admin.site.site_header = "NHCSXH – Phòng giao dịch huyện"
admin.site.site_title = "vbsp-district"
