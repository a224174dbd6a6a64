"""Pages through the test client: signing in, the one-time token, the page's text, submitting
a form (and a refusal that writes nothing), the messages shown, query counts, and the
two steps of the disbursement form."""

import re
from html import unescape

from django.urls import reverse

from .book import row_counts

TOKEN = re.compile(r'name="(?:[\w-]+-)?token" value="([0-9a-f]{32})"')


def same_queries(assert_max_num_queries, limit: int, *calls) -> list[int]:
    """Run each call under the pinned limit; all of them must take the same number of queries."""
    counts = []
    for call in calls:
        with assert_max_num_queries(limit) as context:
            call()
        counts.append(len(context.captured_queries))
    assert len(set(counts)) == 1, counts
    return counts


def signed_in(client, user):
    client.force_login(user)
    return client


def token_of(response, prefix: str = "") -> str:
    """The one-time token rendered into the page's (first, or `prefix`ed) form."""
    html = response.content.decode()
    for match in TOKEN.finditer(html):
        if match.group(0).startswith(f'name="{prefix}'):
            return match.group(1)
    raise AssertionError("no token in the page")


def text_of(response) -> str:
    """The page's text with tags dropped and entities decoded, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def shows(response, message: str) -> bool:
    return message in text_of(response)


def post_form(client, url, data, prefix=""):
    """Open the page (for its one-time token), then submit the form with `data`."""
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {f"{prefix}token": token_of(page, prefix), **data})


def refused_on_page(client, url, data, message, prefix=""):
    """Submit a form the service refuses: the page shows the message, nothing is written."""
    page = client.get(url)
    before = row_counts()
    response = client.post(url, {f"{prefix}token": token_of(page, prefix), **data})
    assert response.status_code == 200
    assert shows(response, message), text_of(response)
    assert row_counts() == before
    return response


def flash(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# -- the disbursement form: a preview, then the confirmation --------------------------------

DISBURSE = reverse("loan_disburse")


def disburse_data(poor, **overrides):
    data = {
        "member": "044000000001",
        "loan_no": "L2",
        "program": poor.pk,
        "channel": "entrusted",
        "amount": "12.000.000",
        "approved_amount": "",
        "disbursed_on": "10/01/2020",
        "annual_rate": "",
        "term_months": "24",
        "interval_months": "6",
        "installments": "",
        "purpose": "Chăn nuôi bò",
    }
    data.update(overrides)
    return data


def preview(client, data):
    """Step one: the preview page, with the digest the confirmation must carry."""
    page = client.get(DISBURSE)
    token = token_of(page)
    response = client.post(DISBURSE, {**data, "token": token, "action": "preview"})
    assert response.status_code == 200
    digest = re.search(r'name="previewed" value="([0-9a-f]+)"', response.content.decode())
    return response, token, digest.group(1) if digest else None


def run_worker():
    """The worker runs what is queued (a workbook import), then stops: `db_worker --batch`.

    Inside a test's transaction the worker must not close the connection, which it does
    between tasks (as a request's end would) when autocommit is off: on PostgreSQL that
    ends the test's transaction."""
    from unittest import mock

    from django.core.management import call_command

    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def imported(client, upload):
    """Upload a workbook on the import page, let the worker import it, and return its page."""
    response = client.post(reverse("workbook_import"), {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    run_worker()
    return client.get(response["Location"])
