"""In Chromium, every page of every role reflows (WCAG 1.4.10): at 1366x768, on a 390x844 phone
and at 200 % zoom of a 1366x768 screen (683x384 CSS pixels at device scale 2), no element sticks
out of the viewport or out of its card. Wide content may scroll inside a box of its own (a
scroll region the keyboard reaches); nothing else may overflow."""

from __future__ import annotations

import pytest

from tests.bidding.builders import Staff
from tests.e2e.portal_walk import clients, first_seen, pages_by_role, seed, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_cache")]

VIEWPORTS = {
    "1366x768": ({"width": 1366, "height": 768}, 1),
    "390x844": ({"width": 390, "height": 844}, 1),
    "200%": ({"width": 683, "height": 384}, 2),
}

# What sticks out, outermost only: past the viewport, or past its card; an element inside a
# box that scrolls (overflow-x auto/scroll) is that box's business, not the page's.
OVERFLOWS = """() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width + 1) out.push(`page is ${page}px wide in a ${width}px viewport`);
  const describe = (el) => {
    const cls = (el.className && typeof el.className === 'string') ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${cls} "${text}"`;
  };
  const reported = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const style = getComputedStyle(el);
    if (style.position === 'absolute' && r.width <= 1) continue;  // visually hidden
    if (el.closest('.skiplink')) continue;
    let box = null, scrolls = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') { scrolls = true; break; }
      if (a.classList.contains('card')) { box = a; break; }
    }
    if (scrolls) continue;
    const right = box ? box.getBoundingClientRect().right : width;
    const left = box ? box.getBoundingClientRect().left : 0;
    if (r.right > right + 1 || r.left < left - 1) {
      let p = el.parentElement, inside = false;
      while (p) { if (reported.has(p)) { inside = true; break; } p = p.parentElement; }
      reported.add(el);
      if (!inside) out.push(`${describe(el)} ends at ${Math.round(r.right)}px, its ${box ? 'card' : 'viewport'} at ${Math.round(right)}px`);
    }
    // text cut inside a box that hides its overflow
    if ((style.overflowX === 'hidden' || style.textOverflow === 'ellipsis') && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 1) {
      out.push(`${describe(el)} is cut: ${el.scrollWidth}px of text in ${el.clientWidth}px`);
    }
  }
  return out;
}"""


def overflows(browser, base_url: str, people: dict, pages: dict, viewports: dict) -> dict:
    found: dict[str, list[str]] = {}
    for label, client in clients(people).items():
        if not pages[label]:
            continue
        for name, (viewport, scale) in viewports.items():
            context = browser.new_context(
                viewport=viewport, device_scale_factor=scale, locale="en-IN"
            )
            context.set_default_timeout(15_000)
            context.add_cookies(session_cookie(client, base_url))
            tab = context.new_page()
            for path in pages[label]:
                tab.goto(base_url + path, wait_until="load")
                problems = tab.evaluate(OVERFLOWS)
                if problems:
                    found[f"{name} {label} {path}"] = problems[:5]
            context.close()
    return found


@pytest.fixture
def people(rules, users, media_root):
    return seed(Staff(), users)


def test_every_page_reflows_at_desktop_phone_and_200_percent(live_server, browser, people):
    pages = first_seen(pages_by_role(people))
    found = overflows(browser, live_server.url, people, pages, VIEWPORTS)
    visits = sum(len(p) for p in pages.values()) * len(VIEWPORTS)
    print(f"\nreflow: {visits} page visits, {len(found)} with overflow")
    assert "/dashboard/" in pages["anonymous"] + pages["official"]
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in sorted(found.items()))[:20000]
