"""In Chromium: an official opens the scheme monitor, every chart is drawn (its canvas has pixels),
its table beside it, and the page's screenshot is kept; the public version draws too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from tests.e2e.pages import login
from tests.factories import PASSWORD
from tests.monitor.scheme import MOMENT, build_scheme

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_cache")]
SCREENSHOTS = Path(os.environ.get("REPM_SCREENSHOTS", "/tmp/repm-screenshots"))
CHARTS = ["capacity", "sales", "pool-sli", "pool-capital-subsidy", "service"]
# The feedstock chart draws on the officials' page; on the public one the scheme's quarters are
# one firm's, left out (tests/monitor/test_feedstock.py), so it has no canvas there.
OFFICIAL_CHARTS = [*CHARTS, "feedstock"]

# Counts the pixels a chart drew: any with some opacity.
DRAWN_PIXELS = """(id) => {
    const canvas = document.getElementById(id);
    if (!canvas || canvas.width === 0 || canvas.height === 0) { return 0; }
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { drawn += 1; } }
    return drawn;
}"""


def _charts_drawn(page, names: list[str] = CHARTS) -> dict[str, int]:
    page.wait_for_function(
        f"() => window.Chart && Object.keys(window.Chart.instances).length >= {len(names)}"
    )
    return {name: page.evaluate(DRAWN_PIXELS, f"chart-{name}") for name in names}


def test_an_official_sees_the_monitor_with_its_charts_drawn(live_server, page, rules, media_root):
    with time_machine.travel(MOMENT, tick=True):
        scheme = build_scheme()
        login(page, live_server.url, scheme.official.username, PASSWORD)
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Scheme monitor"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Scheme monitor")

        drawn = _charts_drawn(page, OFFICIAL_CHARTS)
        assert all(count > 500 for count in drawn.values()), drawn
        sales = page.locator("#table-sales")
        expect(sales.locator("caption")).to_contain_text("Verified sales of magnets per quarter")
        expect(sales.get_by_role("rowheader", name="Q3 FY 2027-28")).to_be_visible()
        expect(page.locator("#table-capacity-by-award")).to_contain_text(
            scheme.commissioned.bid.bidder_name
        )

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / "monitor-official.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000

        # The public version draws its charts too, for a visitor who is not logged in.
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/monitor/public/")
        drawn = _charts_drawn(page)
        assert all(count > 500 for count in drawn.values()), drawn
        expect(page.locator("#table-sales")).to_contain_text("withheld")
