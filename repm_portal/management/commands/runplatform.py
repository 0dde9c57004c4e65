"""Run the whole platform in the foreground: web server, Celery worker and beat, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Start the web server, a Celery worker and Celery beat as children; Ctrl-C stops all three."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-beat", action="store_true", help="Do not run the periodic scheduler."
        )

    def handle(self, *args, addrport: str, no_beat: bool, **options):
        python = sys.executable
        env = os.environ.copy()
        # Children attach to the same servers this process resolved (embedded or named).
        env.setdefault(
            "DJANGO_SETTINGS_MODULE",
            os.environ.get("DJANGO_SETTINGS_MODULE", "repm_portal.settings.base"),
        )
        beat_schedule = settings.BASE_DIR / ".local" / "celerybeat-schedule"
        commands = {
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "repm_portal",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
            ],
            "web": [python, "manage.py", "runserver", "--noreload", addrport],
        }
        if not no_beat:
            commands["beat"] = [
                python,
                "-m",
                "celery",
                "-A",
                "repm_portal",
                "beat",
                "-l",
                "info",
                "-s",
                str(beat_schedule),
            ]
        children = {
            name: subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)  # noqa: S603 - our own commands
            for name, cmd in commands.items()
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"REPM Portal on http://{addrport}/ with {', '.join(children)}; Ctrl-C stops."
            )
        )
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
