"""In Chromium, axe-core over every page of the portal as every role, in English and in Hindi: no
violation of WCAG 2.1 A and AA, nor of axe's best practices.

One browser context per role (its session cookie set, the language cookie chosen); axe is
injected from node_modules, so the context bypasses the CSP for its script tag (the CSP itself
is the subject of test_csp.py). Before this walk's fixes the portal had 1,054 failing nodes on
380 of 388 page visits (colour contrast, nested controls and no lang in Swagger UI, scroll
regions out of the keyboard's reach, empty headers, unlabelled inputs).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from tests.bidding.builders import Staff
from tests.e2e.portal_walk import clients, pages_by_role, seed, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_cache")]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
RUN_AXE = """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3),
                                      count: v.nodes.length})))"""


def axe_violations(browser, base_url: str, people: dict, pages: dict, language: str) -> dict:
    """{"role path": [violations]} for every page of every role."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `npm ci` installs axe-core (package.json)")
    found: dict[str, list] = {}
    for label, client in clients(people).items():
        if not pages[label]:
            continue
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-IN", bypass_csp=True
        )
        context.set_default_timeout(15_000)
        context.add_cookies(
            [
                *session_cookie(client, base_url),
                {"name": "django_language", "value": language, "url": base_url},
            ]
        )
        tab = context.new_page()
        for path in pages[label]:
            tab.goto(base_url + path, wait_until="load")
            tab.add_script_tag(path=str(AXE))
            violations = tab.evaluate(RUN_AXE, TAGS)
            if violations:
                found[f"{label} {path}"] = violations
        context.close()
    return found


@pytest.fixture
def people(rules, users, media_root):
    return seed(Staff(), users)


@pytest.mark.parametrize("language", ["en", "hi"])
def test_every_page_of_every_role_passes_axe(live_server, browser, people, language):
    every_role = pages_by_role(people)
    pages = every_role
    found = axe_violations(browser, live_server.url, people, pages, language)
    visits = sum(len(p) for p in pages.values())
    by_rule = Counter()
    for violations in found.values():
        for v in violations:
            by_rule[v["id"]] += v["count"]
    print(
        f"\naxe [{language}]: {visits} page visits, {len(found)} with violations, "
        f"{sum(by_rule.values())} failing nodes: {dict(by_rule.most_common())}"
    )
    # the walk really was broad: every role saw pages, staff many
    assert len(every_role["anonymous"]) >= 10 and len(every_role["official"]) >= 40, every_role
    assert found == {}, json.dumps(found, indent=1)[:20000]
