"""Run the whole platform in the foreground: web server, Celery worker and beat, stopped together.

By default the web server is gunicorn with DEBUG off and WhiteNoise serving the collected static
files, as production serves; `--dev` keeps Django's auto-reloading runserver with DEBUG on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def web_workers() -> int:
    """WEB_CONCURRENCY if set, else gunicorn's usual 2 x cores + 1."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return max(1, int(configured))
    return 2 * (os.cpu_count() or 1) + 1


def web_command(python: str, addrport: str, *, dev: bool) -> list[str]:
    if dev:
        return [python, "manage.py", "runserver", addrport]
    # Sync workers as in the production image; GUNICORN_CMD_ARGS adds or overrides options.
    return [
        python,
        "-m",
        "gunicorn",
        "repm_portal.wsgi:application",
        "--bind",
        addrport,
        "--workers",
        str(web_workers()),
        "--timeout",
        "120",
        "--backlog",
        "2048",
        # gunicorn's control socket is one path per user: two servers on a machine would share it.
        "--no-control-socket",
    ]


def child_commands(
    python: str, addrport: str, *, dev: bool, beat: bool, beat_schedule: Path
) -> dict[str, list[str]]:
    celery = [python, "-m", "celery", "-A", "repm_portal"]
    commands = {
        "worker": [*celery, "worker", "-l", "info", "--concurrency", "2"],
        "web": web_command(python, addrport, dev=dev),
    }
    if beat:
        commands["beat"] = [*celery, "beat", "-l", "info", "-s", str(beat_schedule)]
    return commands


def child_environment(*, dev: bool) -> dict[str, str]:
    env = os.environ.copy()
    # Children attach to the same servers this process resolved (embedded or named).
    env.setdefault("DJANGO_SETTINGS_MODULE", "repm_portal.settings.base")
    # The demo as production serves it: the platform's own error pages, never Django's debug page.
    env["DJANGO_DEBUG"] = "1" if dev else "0"
    return env


class Command(BaseCommand):
    help = (
        "Start the web server (gunicorn; runserver with --dev), a Celery worker and Celery beat "
        "as children; Ctrl-C stops all three."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-beat", action="store_true", help="Do not run the periodic scheduler."
        )
        parser.add_argument(
            "--dev",
            action="store_true",
            help="Auto-reloading runserver with DEBUG on, instead of gunicorn with DEBUG off.",
        )

    def set_up(self, *, dev: bool) -> None:
        """Steps before the children start, one line each."""
        if not dev:
            # WhiteNoise serves the collected files when DEBUG is off.
            call_command("collectstatic", interactive=False, verbosity=0)

    def handle(self, *args, addrport: str, no_beat: bool, dev: bool, **options):
        self.set_up(dev=dev)
        commands = child_commands(
            sys.executable,
            addrport,
            dev=dev,
            beat=not no_beat,
            beat_schedule=settings.BASE_DIR / ".local" / "celerybeat-schedule",
        )
        env = child_environment(dev=dev)
        children = {
            name: subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)  # noqa: S603 - our own commands
            for name, cmd in commands.items()
        }
        server = "runserver (DEBUG on)" if dev else f"gunicorn ({web_workers()} workers)"
        self.stdout.write(
            self.style.SUCCESS(
                f"REPM Portal on http://{addrport}/ via {server} with "
                f"{', '.join(n for n in children if n != 'web')}; Ctrl-C stops."
            )
        )
        self._supervise(children)

    def _supervise(self, children: dict[str, subprocess.Popen]) -> None:
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with {child.returncode}; stopping the others."
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
