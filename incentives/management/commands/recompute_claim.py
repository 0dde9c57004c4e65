"""Recompute a sanctioned SLI figure from its stored input and from the database, reporting any difference."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from incentives.sli import replay

IDENTICAL, DIFFERENT, BAD_REFERENCE = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Recompute the sanctioned sales-linked incentive that REF names (a sales claim id, "
        "true-up:<id>, or a sanction letter number) with the engine the workers run, from its "
        "stored input and from the database as of its sanction; report every difference by "
        "field. Exit 0 when identical, 1 on a difference, 2 on a bad reference."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("ref", help="a sales claim id, true-up:<id>, or a letter number")

    def handle(self, *args: Any, ref: str, **options: Any) -> None:
        try:
            report = replay.recompute(ref)
        except replay.BadReference as error:
            self.stderr.write(f"recompute_claim: {error}")
            raise SystemExit(BAD_REFERENCE) from None
        computation = report.computation
        letter = computation.letter
        what = (
            f"sales claim {computation.claim_id}"
            if computation.claim_id is not None
            else f"true-up:{computation.true_up_id}"
        )
        self.stdout.write(
            f"{what}: {letter.number if letter else 'no letter (nothing released)'}; "
            f"rule set v{computation.rule_set.version}; release {computation.working['release']}, "
            f"deducted {computation.working['deduction_applied']}, "
            f"payable {computation.working['payable']}, recovery {computation.working['recovery']}"
        )
        for check in report.checked:
            self.stdout.write(f"checked: {check}")
        if report.identical:
            self.stdout.write("identical")
            return
        for difference in report.differences:
            self.stdout.write(f"DIFFERENT {difference}")
        raise SystemExit(DIFFERENT)
