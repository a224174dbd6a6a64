"""PDF from HTML with WeasyPrint, fetching nothing but the app's own static files.

A page's text (names, codes) could carry a URL into the document; the fetcher refuses
every address but `STATIC_URL` under the document's own base, and serves those from the
static files on disk. The server never makes a request on a document's behalf.
"""

import logging
import mimetypes
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# The base every relative URL in a document resolves against; no such host exists.
BASE_URL = "https://vbsp-district.invalid/"


class StaticFilesFetcher(URLFetcher):
    """Serves `BASE_URL + STATIC_URL + path` from the static files; refuses all else."""

    def fetch(self, url, headers=None):
        prefix = urljoin(BASE_URL, settings.STATIC_URL)
        if not url.startswith(prefix):
            logger.warning("PDF: refused to fetch %r", url[:200])
            raise ValueError("Chỉ dùng tệp tĩnh của ứng dụng trong tệp PDF.")
        relative = unquote(urlsplit(url).path.removeprefix(urlsplit(prefix).path))
        path = finders.find(relative)  # safe_join refuses paths leaving the static folders
        if not path:
            raise ValueError(f"Không có tệp tĩnh {relative}.")
        with open(path, "rb") as file:
            body = file.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


def pdf_render(html: str) -> bytes:
    """The PDF of a rendered template (A4 and the rest come from its own CSS)."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesFetcher()).write_pdf()
