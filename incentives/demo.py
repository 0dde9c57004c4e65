"""Demo of the money core: the ledger as the claim apps' demos left it, pool by pool.

Runs last (this app comes after the claim apps). It posts nothing: the capital subsidy, SLI and
recovery demos make their sanctions, payments and recoveries through the services at their own
dates; this prints what the ledger sums to, so the figures on the pages can be checked by eye.
"""

from __future__ import annotations

from incentives import ledger
from incentives.models import LedgerEntry, Pool, SanctionLetter
from repm_portal.money import format_inr


def seed() -> list[str]:
    if not LedgerEntry.objects.exists():
        return ["ledger: nothing posted yet"]
    lines = [f"ledger: {LedgerEntry.objects.count()} entries"]
    for pool in Pool:
        sums = ledger.balances(pool=pool)
        if not sums.sanctioned:
            continue
        letters = SanctionLetter.objects.filter(pool=pool, status=SanctionLetter.Status.ISSUED)
        lines.append(
            f"  {pool.label}: {letters.count()} letters, sanctioned {format_inr(sums.sanctioned)}, "
            f"paid {format_inr(sums.paid)}, netted {format_inr(sums.netted)}, "
            f"pending {format_inr(sums.pending)}"
        )
    return lines
