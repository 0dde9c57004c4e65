"""In Chromium, by keyboard alone: the skip link is the first stop and moves the focus to the
main content; on a phone-sized screen the collapsed menu opens from its button and closes on
Escape; a failed registration puts the focus on its error summary, whose links reach the field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_cache")]


def test_skip_link_and_menu_work_by_keyboard_on_a_phone(live_server, browser, users):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-IN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(users["official"].username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    # the first Tab reaches the skip link, and Enter moves the focus to <main>
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # the menu is collapsed behind a real button; Enter opens it, Escape closes it
    nav = page.get_by_role("navigation", name="Main")
    button = nav.get_by_role("button", name="Menu")
    link = nav.get_by_role("link", name="Audit trail")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(link).to_be_hidden()
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(link).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(link).to_be_hidden()
    context.close()


def test_a_failed_form_focuses_its_error_summary_whose_links_reach_the_fields(
    live_server, page, rules
):
    page.goto(f"{live_server.url}/register/")
    page.get_by_role("button", name="Register").click()
    summary = page.get_by_role("alert")
    expect(summary).to_have_count(1)
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    summary.get_by_role("link", name="Legal name: This field is required.").click()
    expect(page.locator("#id_legal_name")).to_be_focused()
    # the field's error is its description
    expect(page.locator("#id_legal_name")).to_have_accessible_description("This field is required.")
