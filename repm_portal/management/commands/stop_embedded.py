"""Stop the embedded PostgreSQL and Redis servers started for this checkout."""

from django.core.management.base import BaseCommand

from repm_portal import embedded


class Command(BaseCommand):
    help = "Stop the embedded PostgreSQL and Redis of this checkout (they are left running between runs)."

    def handle(self, *args, **options):
        stopped = embedded.stop()
        self.stdout.write(f"Stopped: {', '.join(stopped) or 'nothing was running'}")
