"""Check an evidence bundle from the bundle alone, recomputing every figure; no database is read."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from incentives.evidence import verify

# A bundle that does not hold together exits 1; one that cannot be read at all, 2.
MISMATCH = 1
UNREADABLE = 2


class Command(BaseCommand):
    help = (
        "Recompute every figure of an evidence bundle (zip) from the bundle alone: the manifest's "
        "hashes and sizes, each SLI sanction through the engine, deductions, payments, the "
        "register, claim totals and the rule-set fields the inputs used. Prints OK with counts, "
        "or each mismatch by file and figure. Touches no database."
    )
    # Pure computation, as sli_compute: no system checks (some need a database).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="the evidence bundle, a .zip")

    def handle(self, *args, file: str, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            self.stderr.write(f"verify_bundle: cannot read {file!r}: {error.strerror}")
            raise SystemExit(UNREADABLE) from None
        report = verify.check(data)
        counts = ", ".join(
            f"{count} {name.replace('_', ' ')}" for name, count in sorted(report.counts.items())
        )
        if report.ok:
            self.stdout.write(f"OK: {counts}")
            return
        for finding in report.findings:
            self.stdout.write(f"MISMATCH {finding}")
        self.stdout.write(f"{len(report.findings)} mismatch(es); checked {counts}")
        raise SystemExit(MISMATCH)
