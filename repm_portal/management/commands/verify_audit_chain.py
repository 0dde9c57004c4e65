"""Recompute the audit trail's hash chain, hold it to every signed checkpoint, report what breaks."""

from django.core.management.base import BaseCommand, CommandError

from repm_portal import anchoring, audit


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain, and the chain and the ledger against every signed "
        "checkpoint; exits non-zero at the first broken link or contradicted checkpoint."
    )

    def handle(self, *args, **options):
        report = audit.verify_chain()
        if not report.intact:
            raise CommandError(
                f"Audit chain BROKEN at row {report.first_broken_id} "
                f"after checking {report.rows_checked} rows: {report.reason}"
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.rows_checked} rows."))
        anchors = anchoring.verify()
        if not anchors.intact:
            first = (
                f"checkpoint #{anchors.first_contradicted_seq} (audit row "
                f"{anchors.first_contradicted_row})"
                if anchors.first_contradicted_seq is not None
                else "the checkpoint log"
            )
            raise CommandError(
                f"Audit checkpoints CONTRADICTED, first at {first}; "
                f"{len(anchors.findings)} finding(s):\n- " + "\n- ".join(anchors.findings)
            )
        if anchors.latest is None:
            self.stdout.write(self.style.WARNING("No signed checkpoint yet to hold the chain to."))
            return
        latest = anchors.latest
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoints hold: {anchors.checkpoints} signed, the latest #{latest['seq']} "
                f"at audit row {latest['audit']['id']} signed {latest['signed_at']}."
            )
        )
