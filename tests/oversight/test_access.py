"""Who may export: auditors, officials and administrators; firms and the other staff are refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from incentives.oversight import services
from incentives.oversight.models import ExportRun

pytestmark = pytest.mark.django_db
PAGES = [
    "/oversight/",
    "/oversight/register.csv",
    "/oversight/working.csv",
    "/oversight/audit.csv",
    "/oversight/guarantees.csv",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("role", "status"), [("official", 200), ("auditor", 200), ("admin", 200), ("firm_user", 403), ("verifier", 403)])  # fmt: skip
def test_each_role_gets_what_it_may(client, users, path, role, status):
    client.force_login(users[role])
    response = client.get(path)
    assert response.status_code == status
    if status == 200 and path.endswith(".csv"):
        assert response["Content-Type"].startswith("text/csv")
        assert b"".join(response.streaming_content).decode("utf-8-sig").startswith("REPM Portal,")


@pytest.mark.parametrize("path", [*PAGES, "/oversight/runs/1/download/"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_firm_can_neither_ask_for_a_run_nor_download_one(client, users, media_root):
    run = services.request_export(actor=users["auditor"], kind="register", fmt="xlsx", params={})
    services.produce_export(run.pk)
    client.force_login(users["firm_user"])
    assert client.post("/oversight/register/runs/", {"format": "xlsx"}).status_code == 403
    assert client.get(f"/oversight/runs/{run.pk}/download/").status_code == 403
    assert client.get(f"/oversight/runs/{run.pk}/progress/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.request_export(actor=users["firm_user"], kind="audit", fmt="csv", params={})
    assert ExportRun.objects.count() == 1


def test_the_nav_links_the_exports_for_those_who_may_export(client, users):
    client.force_login(users["auditor"])
    assert b'href="/oversight/"' in client.get("/dashboard/").content
    client.force_login(users["firm_user"])
    assert b'href="/oversight/"' not in client.get("/dashboard/").content
