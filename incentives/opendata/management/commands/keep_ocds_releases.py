"""Keep an OCDS release for every public event audited since the last sweep (beat runs it too)."""

from django.core.management.base import BaseCommand

from incentives.opendata import services


class Command(BaseCommand):
    help = "Keep an OCDS release for every public event audited since the last one kept."

    def handle(self, *args, **options) -> None:
        kept = services.keep_releases()
        for release in kept:
            self.stdout.write(
                f"{release.release_id} {release.date:%Y-%m-%d %H:%M} {' '.join(release.tags)}"
            )
        self.stdout.write(f"{len(kept)} release(s) kept.")
