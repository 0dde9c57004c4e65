"""Real Celery worker processes for the tests that need one, and waiting on what they do."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The test database as a URL, which the worker must use to see the test's rows."""
    db = connection.settings_dict
    host = quote(db["HOST"], safe="")
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{host}:{db['PORT']}/{db['NAME']}"


def start_worker(queue: str, media_root=None, **extra_env) -> subprocess.Popen:
    """A `celery worker` on a private queue, so no other worker on the same broker takes our tasks.

    Without `media_root` the worker inherits this process's MEDIA_ROOT, if any.
    """
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "repm_portal.settings.test",
        **({"MEDIA_ROOT": str(media_root)} if media_root is not None else {}),
        **extra_env,
    }
    # Without REDIS_URL the worker attaches to the embedded Redis as this process did: the
    # broker and the cache (a database of its own) spelled each as its client needs. Passing the
    # broker's URL would give the worker's cache a URL redis-py cannot use.
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "repm_portal", "worker", "--pool", "solo",
         "--queues", queue, "--loglevel", "warning", "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str,
    every: float = 0.2,
    detail: Callable[[], object] | None = None,
):
    """Poll `condition` until it returns something truthy (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}" + (f"; {detail()}" if detail else ""))
