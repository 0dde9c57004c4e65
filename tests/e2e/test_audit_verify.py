"""In Chromium: an auditor asks the worker to verify the hash chain and sees the result arrive."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import login
from tests.factories import PASSWORD


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_auditor_verifies_the_chain_from_the_page(live_server, page, users, worker, settings):
    # given the worker listens on its private queue, route the task there
    settings.CELERY_TASK_ROUTES = {"repm_portal.tasks.verify_audit_chain": {"queue": worker}}
    from repm_portal.celery import app

    app.conf.task_routes = settings.CELERY_TASK_ROUTES
    # Celery caches its router at the first send; rebuild it so our route applies.
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
    try:
        login(page, live_server.url, users["auditor"].username, PASSWORD)
        page.goto(f"{live_server.url}/audit/")
        # when the auditor presses the button, the page shows progress, then the worker's answer
        page.get_by_role("button", name="Verify the hash chain now").click()
        expect(page.get_by_role("status")).to_contain_text("Chain intact", timeout=60_000)
        expect(page.get_by_role("status")).to_contain_text("rows checked by the worker")
    finally:
        app.conf.task_routes = None
        app.amqp.flush_routes()
        app.amqp.router = app.amqp.Router()
