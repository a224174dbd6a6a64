"""Pages through the test client: signing in, the one-time token, the page's text, query counts."""

import re
from html import unescape

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
