"""What the office's server runs (docs/deploy.md): the production settings pass Django's
deployment checks, every page carries a content security policy that no template breaks,
and the health check answers without a sign-in."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)


def test_the_production_settings_pass_the_deployment_checks(tmp_path):
    # as the server's environment would be: not the browser tests' async switch (tests/browser)
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "DJANGO_SETTINGS_MODULE": "vbsp_district.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "vbsp.example.vn",
        "DATABASE_URL": "postgres://vbsp@127.0.0.1:5432/vbsp_district",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.django_db
def test_every_page_has_a_content_security_policy(client, as_user):
    for response in (client.get(reverse("login")), as_user("manager").get("/")):
        # the directives, in whatever order the policy lists them
        policy = dict(d.strip().partition(" ")[::2] for d in response["Content-Security-Policy"].split(";"))
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == "'self'"  # no 'unsafe-inline' for scripts
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"


def test_no_template_holds_an_inline_script():
    """The policy allows scripts from the app's own files only: an inline <script> or
    an on…= handler would be blocked in the browser."""
    found = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=\"", text):
            found.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not found


@pytest.mark.django_db
def test_the_health_check_answers_without_a_sign_in(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.head(reverse("healthz")).status_code == 200  # a monitor may ask with HEAD
    assert client.post(reverse("healthz")).status_code == 405


def _names(lines) -> set[str]:
    return {re.split(r"[<>=\[; ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-") for line in lines}


def test_every_dependency_is_locked_with_its_hashes():
    """pyproject.toml's dependencies are pinned, with hashes, in the lock files the setup
    installs from (`make lock` writes them)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for lock, wanted in (
        ("requirements.txt", project["dependencies"]),
        ("requirements-dev.txt", project["dependencies"] + project["optional-dependencies"]["test"]),
    ):
        text = (ROOT / lock).read_text(encoding="utf-8")
        pinned = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\\n(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+", text, re.M)
        assert _names(wanted) <= _names(pinned), (lock, _names(wanted) - _names(pinned))
        assert len(pinned) == len(re.findall(r"^[A-Za-z0-9_.-]+==", text, re.M))  # every pin has its hashes


def test_every_setting_read_from_the_environment_is_in_the_example():
    read = set()
    for path in (ROOT / "vbsp_district" / "settings").glob("*.py"):
        read |= set(re.findall(r'env(?:\.[a-z]+)?\("([A-Z_]+)"', path.read_text(encoding="utf-8")))
    example = set(re.findall(r"^# ?([A-Z_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    assert read, "no setting found"
    assert read - example == set()
