"""The government pages are public and dated, linked from every page's footer; a failed form
names each field in one error summary, and help and errors carry the ids aria-describedby names."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from repm_portal.site_pages import LAST_UPDATED

pytestmark = pytest.mark.django_db

PAGES = {
    "accessibility": "Accessibility statement",
    "help": "Help",
    "contact": "Contact us",
    "terms": "Terms of use",
    "privacy": "Privacy policy",
}


@pytest.mark.parametrize(("slug", "title"), PAGES.items())
def test_each_government_page_is_public_dated_and_in_the_footer(rules, slug, title):
    anonymous = Client()
    page = anonymous.get(f"/{slug}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert f"Last updated: {LAST_UPDATED[slug]:%-d %B %Y}" in html
    # the footer of an unrelated page (the log-in) links to it
    login = anonymous.get("/accounts/login/").content.decode()
    assert f'<a href="/{slug}/">{title}</a>' in login


def test_every_page_has_a_skip_link_to_its_main_and_a_keyboard_menu(rules, users):
    client = Client()
    client.force_login(users["official"])
    html = client.get("/dashboard/").content.decode()
    assert html.index('class="skiplink" href="#main"') < html.index("<header")
    assert '<main class="page" id="main" tabindex="-1">' in html
    assert re.search(
        r'<button type="button" class="navtoggle" aria-expanded="false" aria-controls="mainnav-list">',
        html,
    )
    assert 'id="mainnav-list"' in html and 'id="navtoggle"' not in html


def test_an_empty_registration_names_each_field_once_in_one_summary(rules):
    # (an empty POST would be no POST at all to the view: send one blank field)
    html = Client().post("/register/", {"legal_name": ""}).content.decode()
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', html, re.S)
    assert summary, html
    links = re.findall(r'<a href="#(id_\w+)">([^<:]+): ([^<]+)</a>', summary.group(0))
    assert len(links) >= 10
    assert "Legal name" in {label for _, label, _ in links}
    # one alert for the form, not one per field
    assert html.count('role="alert"') == 1
    # every aria-describedby names an element that exists, and each link a field
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    described = {d for ds in re.findall(r'aria-describedby="([^"]+)"', html) for d in ds.split()}
    assert described and described <= ids, described - ids
    assert {target for target, _, _ in links} <= ids
    assert any(d.endswith("_error") for d in described)
