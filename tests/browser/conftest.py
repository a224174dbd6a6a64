"""Playwright's Python API driving Debian's Chromium against the live test server."""

import os
import re
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests
# make between browser steps are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# What Chromium refused under the pages' content security policy (an inline script, a
# file from elsewhere), from every context the tests open: each test must leave none.
CSP_VIOLATIONS: list[str] = []


def _watched(new_context):
    def opened(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on(
            "console",
            lambda message: CSP_VIOLATIONS.append(message.text) if "Content Security Policy" in message.text else None,
        )
        return context

    return opened


@pytest.fixture(autouse=True)
def _no_content_security_policy_violation():
    before = len(CSP_VIOLATIONS)
    yield
    assert CSP_VIOLATIONS[before:] == []


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (make test installs it)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # What `serialized_rollback` restores, as the test database's setup left it.
    serialized = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        # Playwright's sync API leaves its event loop marked as running in this thread, so
        # from now on Django hands this thread the connection objects of an async context:
        # they need the serialized contents too, or every transactional test after the
        # first browser test finds the migrations' associations and programs gone.
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser.new_context = _watched(browser.new_context)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    yield page
    context.close()


def shot(page, name: str):
    """Keep a screenshot of the page under tests/artifacts/ (ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, username: str, password: str = "secret-pass-1"):
    page.goto(page.base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def cells(row, selector: str = "td") -> list[str]:
    """A table row's cells as the eye reads them: whitespace collapsed."""
    return [re.sub(r"\s+", " ", text).strip() for text in row.locator(selector).all_inner_texts()]


def figure(page, label: str) -> str:
    """The value of the figure card whose label is `label`."""
    card = page.locator(".figure-card", has=page.locator(".label", has_text=re.compile(f"^{re.escape(label)}$")))
    return card.locator(".value").inner_text().strip()
