"""`make run` serves as production does: gunicorn, DEBUG off, the platform's own error pages."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import loader
from django.test import RequestFactory
from django.views.defaults import server_error

from repm_portal.management.commands import runplatform
from tests.workers import database_url, stop, wait_for


def test_run_serves_with_gunicorn_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    commands = runplatform.child_commands(
        "py", "127.0.0.1:8000", dev=False, beat=True, beat_schedule=Path("/tmp/s")
    )
    web = commands["web"]
    assert web[:4] == ["py", "-m", "gunicorn", "repm_portal.wsgi:application"]
    assert web[web.index("--workers") + 1] == "3"
    assert web[web.index("--bind") + 1] == "127.0.0.1:8000"
    assert set(commands) == {"web", "worker", "beat"}
    assert runplatform.child_environment(dev=False)["DJANGO_DEBUG"] == "0"


def test_workers_default_to_the_cores(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(runplatform.os, "cpu_count", lambda: 4)
    assert runplatform.web_workers() == 9


def test_dev_keeps_the_reloading_runserver_with_debug():
    commands = runplatform.child_commands(
        "py", "127.0.0.1:8000", dev=True, beat=False, beat_schedule=Path("/tmp/s")
    )
    assert commands["web"] == ["py", "manage.py", "runserver", "127.0.0.1:8000"]
    assert "beat" not in commands
    assert runplatform.child_environment(dev=True)["DJANGO_DEBUG"] == "1"


@pytest.mark.django_db
def test_an_unknown_address_gets_the_platforms_page_not_the_url_map(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "Ministry of Heavy Industries" in body
    assert "URLconf" not in body and "urlpatterns" not in body


def test_the_error_page_needs_no_database_and_no_context():
    # No django_db mark: any query here would fail the test ("Database access not allowed").
    html = loader.get_template("500.html").render()
    response = server_error(RequestFactory().get("/"))
    assert "Something went wrong" in html
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_gunicorn_workers_run_on_the_demo_clock_with_debug_off(tmp_path):
    port = _free_port()
    env = runplatform.child_environment(dev=False) | {
        "DATABASE_URL": database_url(),
        # REDIS_URL, when set, is inherited; else the worker attaches to the embedded Redis itself.
        "REPM_CLOCK_AS_OF": "demo",
        "WEB_CONCURRENCY": "1",
        "DJANGO_SETTINGS_MODULE": "repm_portal.settings.base",
    }
    command = runplatform.web_command(sys.executable, f"127.0.0.1:{port}", dev=False)
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        command, env=env, cwd=settings.BASE_DIR, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    try:

        def fetch():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/no/such/page/", timeout=5)
            except urllib.error.HTTPError as exc:
                return exc
            except OSError:
                return None

        response = wait_for(fetch, timeout=60, what="gunicorn to answer", detail=log.read_text)
        body = response.read().decode()
        assert response.status == 404
        assert "Page not found" in body and "URLconf" not in body
        assert "Demo clock" in body
        # The worker's own clock (gunicorn stamps the Date header from it) is the demo's.
        assert parsedate_to_datetime(response.headers["Date"]).year == 2031
    finally:
        stop(process)
