"""Every page carries a Content-Security-Policy with no inline script, and no template has one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def _template_files() -> list[Path]:
    dirs = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("*/*/templates")]
    return sorted(p for d in dirs if d.is_dir() for p in d.rglob("*.html"))


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/health/"])
def test_pages_carry_the_policy(url):
    response = Client().get(url)
    policy = _policy(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_a_signed_in_page_carries_the_policy_and_no_inline_script(rules):
    # `rules`: the dashboard reads the rule set in force, which a transactional test may have flushed
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/", follow=True)
    assert response.status_code == 200 and b"<script" in response.content
    assert _policy(response)["script-src"] == "'self'"
    for attrs, body in SCRIPT_TAG.findall(response.content.decode()):
        assert "src=" in attrs and not body.strip()


def test_no_template_has_an_inline_script_or_handler():
    files = _template_files()
    assert len(files) > 50  # the walk sees the project's templates
    offenders = []
    for path in files:
        text = path.read_text()
        for attrs, body in SCRIPT_TAG.findall(text):
            if "src=" not in attrs or body.strip():
                offenders.append(f"{path.relative_to(ROOT)}: inline <script>")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text) or "javascript:" in text:
            offenders.append(f"{path.relative_to(ROOT)}: inline event handler or javascript: URL")
    assert offenders == []


def test_swagger_ui_loads_its_start_up_script_as_a_file():
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    page = client.get("/api/docs/swagger/")
    assert page.status_code == 200
    html = page.content.decode()
    tags = SCRIPT_TAG.findall(html)
    assert tags and all("src=" in attrs and not body.strip() for attrs, body in tags)
    script_src = re.findall(r'<script src="([^"]*\?[^"]*script[^"]*)"', html)
    assert script_src, html
    script = client.get(script_src[0].replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    # Only the docs page allows Swagger UI's <style> block; its scripts stay 'self'.
    assert _policy(page)["script-src"] == "'self'"
    assert "'unsafe-inline'" in _policy(page)["style-src"]
