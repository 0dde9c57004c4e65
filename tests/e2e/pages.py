"""Steps the browser tests share: finding a labelled field, logging in through the real form."""

from __future__ import annotations

import re


def field(page, label: str):
    """The input labelled `label`, whether or not the label carries the required-field star."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"(\s*\*)?$"))


def login(page, base_url: str, username: str, password: str) -> None:
    """Log in through the real form and wait for the dashboard."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/dashboard/")
