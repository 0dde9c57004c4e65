"""In Chromium, under the Content-Security-Policy: the chart pages draw and Swagger UI loads,
and the browser reports no CSP violation on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import login
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_cache")]


def _watch(page) -> list[str]:
    """Console lines and failed requests that name the Content Security Policy."""
    seen: list[str] = []
    page.on(
        "console",
        lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return seen


def test_chart_pages_draw_with_no_csp_violation(live_server, page, rules):
    violations = _watch(page)
    official = UserFactory(username="chart-reader")
    login(page, live_server.url, official.username, PASSWORD)
    for path in ("/monitor/", "/monitor/public/"):
        response = page.goto(f"{live_server.url}{path}")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_function(
            "() => window.Chart && Object.keys(window.Chart.instances).length >= 5"
        )
    assert violations == []


def test_swagger_ui_loads_with_no_csp_violation(live_server, page, rules):
    violations = _watch(page)
    staff = UserFactory(username="docs-reader", is_staff=True)
    login(page, live_server.url, staff.username, PASSWORD)
    page.goto(f"{live_server.url}/api/docs/swagger/")
    # The schema is large: give Swagger UI time to render it on a busy machine.
    title = page.locator(".swagger-ui .info .title")
    expect(title).to_contain_text("REPM Portal API", timeout=60_000)
    expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
    assert violations == []
