"""The main pages under gunicorn, with wrk, each against /health/ in the same run.

    .venv/bin/python -m bench.web                      # make bench-web (after make seed)
    .venv/bin/python -m bench.web --seconds 2 --connections 10 --only dashboard

Starts the web server as `make run` does (gunicorn, DEBUG off, `WEB_CONCURRENCY` workers or
2 x cores + 1) on a free loopback port against the configured database (`make seed`'s embedded
servers unless DATABASE_URL / REDIS_URL name others; it must hold the demo), signs each demo role
in by a session of its own with the CSRF cookie a browser keeps from its first page (a Cookie
header), then runs /usr/bin/wrk for `--seconds` on each page
at 1, 10 and 50 connections, /health/ first at each, every cell on idle workers. Prints req/s, p50/p95/p99 latency, errors
(socket errors, non-2xx answers, timeouts) per cell, and how many times /health/'s req/s is the
page's; then the goal (at 50 connections every page within 25x of /health/, p95 under 150 ms at
10, no error) as met or not. A returning viewer's page comes from the viewer cache
(repm_portal/viewer_cache.py) until the database changes, and so it does here; `--cold`
serves every page afresh, for the figures of the pages' own work. Figures only: it never fails on a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

WRK = "/usr/bin/wrk"
ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO, GOAL_P95_MS = 25, 150

# wrk's summary as one line: requests, seconds, latency percentiles (microseconds) and errors.
REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %f %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class Cell:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    detail: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repm_portal.settings.base")
    import django

    django.setup()


def _pages() -> dict[str, tuple[str | None, str]]:
    """Page name -> (username to sign in as, or None; path), from the seeded demo."""
    from bidding.models import Tender

    tender = Tender.objects.filter(status=Tender.Status.AWARDED).order_by("pk").first()
    if tender is None:
        raise SystemExit("No awarded tender: seed the demo first (make seed).")
    return {
        "/health/": (None, "/health/"),
        "dashboard (official)": ("official", "/dashboard/"),
        "dashboard (verifier)": ("verifier", "/dashboard/"),
        "dashboard (firm)": ("neomag", "/dashboard/"),
        "tender list": ("official", "/tenders/"),
        "comparative statement": ("official", f"/tenders/{tender.pk}/statement/"),
        "ledger": ("official", "/ledger/"),
        "sanctions": ("official", "/sanctions/"),
        "claims": ("official", "/claims/"),
        "public tender (anon)": (None, f"/public/tenders/{tender.pk}/"),
        "OCDS package (anon)": (None, f"/api/tenders/{tender.pk}/ocds/"),
        "/api/tenders/": ("official", "/api/tenders/"),
        "/api/awards/": ("official", "/api/awards/"),
        "/api/sales-claims/": ("official", "/api/sales-claims/"),
        "/api/ledger-entries/": ("official", "/api/ledger-entries/"),
        "/api/sanction-letters/": ("official", "/api/sanction-letters/"),
    }


def _session_store():
    from django.conf import settings

    return importlib.import_module(settings.SESSION_ENGINE).SessionStore


def _sessions(usernames: set[str]) -> dict[str, str]:
    """A session key for each user, as a log-in would make it (deleted again at the end)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from beneficiaries.models import User

    keys = {}
    for user in User.objects.filter(username__in=usernames):
        session = _session_store()()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys[user.username] = session.session_key
    missing = usernames - set(keys)
    if missing:
        raise SystemExit(f"No demo user {', '.join(sorted(missing))}: seed the demo (make seed).")
    return keys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int, log: Path, *, cold: bool = False) -> subprocess.Popen:
    from repm_portal.management.commands import runplatform

    env = runplatform.child_environment(dev=False)
    # The children reach the same servers as this process (the embedded ones, or the named).
    env.setdefault("DATABASE_URL", _database_url())
    # Without REDIS_URL each child attaches to the embedded Redis itself (broker and cache).
    if cold:
        env["VIEWER_CACHE_SECONDS"] = "0"
    command = runplatform.web_command(sys.executable, f"127.0.0.1:{port}", dev=False)
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _database_url() -> str:
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}"


def _get(url: str, cookie: str | None) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310 - loopback http only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_for(url: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            if _get(url, None) == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _drain(base: str, limit: float = 120) -> None:
    """Wait until the workers have answered what an earlier cell left queued: /health/ is quick again."""
    deadline, quick = time.monotonic() + limit, 0
    while time.monotonic() < deadline and quick < 3:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            _get(f"{base}/health/", None)
        quick = quick + 1 if time.monotonic() - started < 0.2 else 0
        time.sleep(0.1)


def _wrk(url: str, connections: int, seconds: int, cookie: str | None, script: Path) -> Cell:
    command = [WRK, "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "10s", "-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    line = next((row for row in out.splitlines() if row.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{out}")
    fields = line.split()[1:]
    requests, duration = int(fields[0]), float(fields[1])
    p50, p95, p99 = (int(v) / 1000 for v in fields[2:5])
    connect, read, write, status, timeout = (int(v) for v in fields[5:10])
    detail = ", ".join(
        f"{n} {what}"
        for n, what in [
            (connect, "connect"),
            (read, "read"),
            (write, "write"),
            (status, "non-2xx/3xx"),
            (timeout, "timeout"),
        ]
        if n
    )
    errors = connect + read + write + status + timeout
    return Cell(requests, duration, p50, p95, p99, errors, detail)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk's duration per cell")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument(
        "--cold",
        action="store_true",
        help="serve with the viewer cache off: every page rendered afresh (VIEWER_CACHE_SECONDS=0)",
    )
    parser.add_argument("--only", nargs="*", default=[], help="pages whose name contains these")
    args = parser.parse_args(argv)
    if not Path(WRK).exists():
        raise SystemExit(f"{WRK} is missing: make system-deps installs it.")
    _setup_django()
    pages = _pages()
    if args.only:
        pages = {
            n: p for n, p in pages.items() if n == "/health/" or any(o in n for o in args.only)
        }
    sessions = _sessions({user for user, _ in pages.values() if user})
    # What a browser's jar holds after its first page: the session and the CSRF cookie.
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string

    cookies = {
        user: f"{settings.SESSION_COOKIE_NAME}={key}; "
        f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
        for user, key in sessions.items()
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        script, log = Path(tmp) / "report.lua", Path(tmp) / "gunicorn.log"
        script.write_text(REPORT_LUA)
        server = _start_server(port, log, cold=args.cold)
        try:
            _wait_for(f"{base}/health/", server, log)
            for name, (user, path) in pages.items():  # warm each worker's first request, the cache
                for _ in range(3):
                    status = _get(base + path, cookies.get(user) if user else None)
                if status != 200:
                    raise SystemExit(f"{name} ({path}) answers {status}, not 200")
            from repm_portal.management.commands.runplatform import web_workers

            print(
                f"gunicorn {web_workers()} sync workers on {base}, wrk {args.seconds} s per cell, "
                f"DEBUG off, clock {os.environ.get('REPM_CLOCK_AS_OF') or 'real'}"
            )
            results: dict[tuple[str, int], Cell] = {}
            for connections in args.connections:
                for name, (user, path) in pages.items():
                    cookie = cookies.get(user) if user else None
                    _drain(base)  # each cell starts on idle workers
                    results[(name, connections)] = _wrk(
                        base + path, connections, args.seconds, cookie, script
                    )
            _report(pages, args.connections, results)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            store = _session_store()
            for key in sessions.values():
                store(key).delete()


def _report(pages: dict, levels: list[int], results: dict[tuple[str, int], Cell]) -> None:
    header = f"{'page':<26} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'x health':>9}  errors"
    print(header)
    print("-" * len(header))
    misses = []
    for connections in levels:
        health = results[("/health/", connections)].rate
        for name in pages:
            cell = results[(name, connections)]
            ratio = health / cell.rate if cell.rate else float("inf")
            errors = f"{cell.errors} ({cell.detail})" if cell.errors else "0"
            print(
                f"{name:<26} {connections:>5} {cell.rate:>9.1f} {cell.p50_ms:>8.1f} "
                f"{cell.p95_ms:>8.1f} {cell.p99_ms:>8.1f} {ratio:>8.1f}x  {errors}"
            )
            if cell.errors:
                misses.append(f"{name} at {connections}: {cell.errors} errors")
            if connections == 50 and name != "/health/" and ratio > GOAL_RATIO:
                misses.append(f"{name} at 50: {ratio:.1f}x /health/ (goal {GOAL_RATIO}x)")
            if connections == 10 and cell.p95_ms > GOAL_P95_MS:
                misses.append(f"{name} at 10: p95 {cell.p95_ms:.0f} ms (goal {GOAL_P95_MS})")
        print()
    print("goal met" if not misses else "goal not met:\n  " + "\n  ".join(misses))


if __name__ == "__main__":
    main()
