"""Demo of post-payment sampling: the auditor samples the claims paid in FY 2030-31, with findings.

Runs after the SLI and recovery demos (this app comes after them), when every payment of the
demo's years is recorded. On 8 Jul 2031 the auditor draws SLI quarters, true-ups and capital
subsidy claims paid in FY 2030-31, 10 % of each award's value paid, with a seed of their own.
Field checks follow: one claim with no issue, one with a small discrepancy, and one where the
auditor recommends recovery (on Deccan, L3, not on Vidarbha, whose exit is already recovered).
That last finding is left for an official to take up: "official" opens the recovery from the
claim's page and "official2" confirms it, on the demo's own clock. Idempotent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from beneficiaries.models import User
from incentives.sampling import selectors, services
from incentives.sampling.models import Outcome, Sample, SampledClaim
from repm_portal.demo_clock import IST
from repm_portal.fiscal import FinancialYear
from repm_portal.money import format_inr, to_money
from repm_portal.pdf import render_pdf

YEAR = FinancialYear(2030)
SEED = "REPM-FC-2030-31"
DRAWN_AT = dt.datetime(2031, 7, 8, 11, 0, tzinfo=IST)
RATIONALE = (
    "Annual post-payment check of FY 2030-31: every kind of claim paid in the year, 10 % of the "
    "value paid to each award, the scheme's floor; field visits to the plants in July 2031."
)
MAIN_REFERENCE = "MHI/REPM/GTE/2026/01"
RECOVERY_RANK = 3  # Deccan: a live award without a recovery of its own
FINDINGS = (
    # (award rank, outcome, share of the value paid at issue, text, visited)
    (1, Outcome.NO_ISSUE, None,
     "Invoices, e-way bills and the GST returns for the period agree with the claim; the plant "
     "ran at the output claimed on the day of the visit.", dt.date(2031, 7, 14)),
    (2, Outcome.DISCREPANCY, Decimal("0.004"),
     "Three invoices to a related distributor were priced below the arm's-length range in the "
     "transfer-pricing report; the incentive on the difference is small and can be netted.",
     dt.date(2031, 7, 15)),
    (RECOVERY_RANK, Outcome.RECOVERY, Decimal("0.05"),
     "The dispatch register shows magnets claimed as sold that went to a related party's "
     "warehouse and came back as returns not netted in the claim; the incentive on them is to "
     "be recovered.", dt.date(2031, 7, 16)),
)  # fmt: skip


def _evidence(
    sample: Sample, claim: SampledClaim, text: str, visited: dt.date
) -> SimpleUploadedFile:
    pdf = render_pdf(
        "sampling/pdf/field_note.html",
        {
            "sample": f"Sample {sample.pk}, FY {sample.financial_year}",
            "claim": f"{selectors.kind_title(claim.claim_type)} {claim.claim_id}",
            "beneficiary": claim.award.bid.bidder_name,
            "visited": visited,
            "text": text,
        },
    )
    return SimpleUploadedFile(
        f"field-note-{claim.award.label}-{visited:%Y%m%d}.pdf", pdf, content_type="application/pdf"
    )


def _record_findings(sample: Sample, auditor: User) -> None:
    for rank, outcome, share, text, visited in FINDINGS:
        stratum = sample.strata.filter(
            award__tender__reference=MAIN_REFERENCE, award__rank=rank
        ).first()
        if stratum is None:
            continue
        claim = stratum.claims.select_related("award__bid").order_by("draw_order").first()
        if claim is None or claim.findings.exists():
            continue
        services.record_finding(
            actor=auditor,
            claim=claim,
            outcome=outcome,
            text=text,
            amount_at_issue=to_money(claim.value_paid * share) if share else None,
            evidence=None
            if outcome == Outcome.NO_ISSUE
            else _evidence(sample, claim, text, visited),
            now=dt.datetime.combine(visited + dt.timedelta(days=2), dt.time(15, 0), tzinfo=IST),
        )


def seed() -> list[str]:
    auditor = User.objects.filter(username="auditor").first()
    if auditor is None:
        return ["No auditor: no sample drawn."]
    sample = Sample.objects.filter(seed=SEED, financial_year="2030-31").first()
    if sample is None:
        if not selectors.population(YEAR, selectors.SAMPLED_KINDS):
            return [f"Nothing paid in {YEAR.label}: no sample drawn."]
        sample = services.draw_sample(
            actor=auditor, financial_year=YEAR, kinds=selectors.SAMPLED_KINDS,
            rationale=RATIONALE, floor_pct=Decimal("10"), seed=SEED, now=DRAWN_AT,
        )  # fmt: skip
    _record_findings(sample, auditor)
    lines = [
        f"Sample {sample.pk} of claims paid in FY {sample.financial_year} (seed {sample.seed}, "
        f"floor {sample.floor_pct:.0f} %): {sample.sampled_count} of "
        f"{sample.population_count} claims, {format_inr(sample.sampled_value)} of "
        f"{format_inr(sample.population_value)} ({sample.sampled_pct:.1f} %), hash "
        f"{sample.population_hash[:12]}…"
    ]
    for stratum in sample.strata.order_by("position"):
        lines.append(
            f"  {stratum.key}: {stratum.sampled_count} of {stratum.population_count} claims, "
            f"{stratum.sampled_pct:.1f} % of {format_inr(stratum.population_value)}"
        )
    for claim in sample.claims.filter(findings__isnull=False).distinct().order_by("pk"):
        for finding in claim.findings.all():
            lines.append(
                f"  finding {finding.pk} on {claim.claim_type} {claim.claim_id} ({claim.award.label}): "
                f"{finding.get_outcome_display().lower()}"
                + (f", {format_inr(finding.amount_at_issue)} at issue" if finding.amount_at_issue else "")
                + (", for an official to open at /samples/claims/"
                   f"{claim.pk}/" if finding.outcome == Outcome.RECOVERY else "")
            )  # fmt: skip
    return lines
