"""Recompute the audit trail's hash chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from repm_portal import audit


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero at the first broken link."

    def handle(self, *args, **options):
        report = audit.verify_chain()
        if not report.intact:
            raise CommandError(
                f"Audit chain BROKEN at row {report.first_broken_id} "
                f"after checking {report.rows_checked} rows: {report.reason}"
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.rows_checked} rows."))
