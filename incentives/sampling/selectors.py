"""Reads of samples: the population of paid claims, samples and findings, and the re-draw check.

Samples are the auditors' working papers: auditors, ministry officials and administrators read
them; a firm, and other staff, see nothing of them (the pages and the API answer 403).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Max, Min, Prefetch, QuerySet

from incentives import sanctions
from incentives.models import Payment, SanctionLetter
from incentives.recovery.models import Recovery
from incentives.sampling import engine
from incentives.sampling.models import Finding, FindingRecovery, Outcome, Sample, SampledClaim
from repm_portal.fiscal import FinancialYear
from repm_portal.roles import AnyUser, Role, has_role

# Who draws samples and records findings.
AUDITORS = (Role.AUDITOR,)
# Who opens a recovery from a finding: the ministry's officials (the recovery path's officers).
OPENERS = (Role.OFFICIAL, Role.ADMIN)
# Who reads samples and findings.
READERS = (*AUDITORS, *OPENERS)
# The claim kinds an auditor samples: SLI quarters, SLI true-ups and capital subsidy claims.
SAMPLED_KINDS = ("sli_quarter", "sli_true_up", "capital_subsidy")
# What the population is, in words, stored with its definition.
BASIS = (
    "Each claim of the kinds chosen with at least one payment dated in the financial year "
    "(1 April to 31 March) against an issued sanction letter; its value is the sum of those "
    "payments, against all of the claim's letters. Stratum: the award the letters name."
)
BASIS_VERSION = "payments-in-year/v1"


def can_read(user: AnyUser) -> bool:
    return has_role(user, *READERS)


def kind_title(code: str) -> str:
    kind = sanctions.registered(code)
    return kind.title if kind is not None else code


def claim_url(claim_type: str, claim_id: str) -> str | None:
    kind = sanctions.registered(claim_type)
    if kind is None or kind.detail_url is None:
        return None
    return kind.detail_url(claim_id)


def definition(financial_year: FinancialYear, kinds: Sequence[str]) -> dict[str, Any]:
    """The population's definition as it is stored and hashed."""
    return {
        "basis": BASIS_VERSION,
        "description": BASIS,
        "financial_year": f"{financial_year.start_year}-{(financial_year.start_year + 1) % 100:02d}",
        "paid_from": financial_year.start.isoformat(),
        "paid_to": financial_year.end.isoformat(),
        "kinds": sorted(set(kinds)),
        "stratum": "award",
    }


def population(financial_year: FinancialYear, kinds: Sequence[str]) -> list[engine.Item]:
    """The paid claims of the kinds, by the definition above, in their stable order (one query)."""
    payments = (
        Payment.objects.filter(
            paid_on__gte=financial_year.start,
            paid_on__lte=financial_year.end,
            letter__claim_type__in=list(kinds),
            letter__status=SanctionLetter.Status.ISSUED,
        )
        .values_list(
            "letter__award_id",
            "letter__award__tender__reference",
            "letter__award__rank",
            "letter__claim_type",
            "letter__claim_id",
            "letter__number",
            "utr",
            "paid_on",
            "amount",
        )
        .order_by("letter__award_id", "letter__claim_type", "letter__claim_id", "paid_on", "utr")
    )
    claims: dict[tuple[str, str], dict[str, Any]] = {}
    for award_id, reference, rank, claim_type, claim_id, number, utr, paid_on, amount in payments:
        claim = claims.setdefault(
            (claim_type, claim_id),
            {
                "stratum": f"{reference} L{rank}",
                "award_id": award_id,
                "value": Decimal("0.00"),
                "letters": [],
                "payments": [],
            },
        )
        claim["value"] += amount
        if number not in claim["letters"]:
            claim["letters"].append(number)
        claim["payments"].append((utr, paid_on.isoformat(), str(amount)))
    items = [
        engine.Item(
            stratum=c["stratum"],
            award_id=c["award_id"],
            claim_type=claim_type,
            claim_id=claim_id,
            value=c["value"],
            letters=tuple(c["letters"]),
            payments=tuple(c["payments"]),
        )
        for (claim_type, claim_id), c in claims.items()
    ]
    return engine.canonical(items)


def payment_years() -> list[FinancialYear]:
    """The financial years in which anything was paid, latest first: what a sample can be drawn on."""
    dates = Payment.objects.aggregate(first=Min("paid_on"), last=Max("paid_on"))
    if dates["first"] is None:
        return []
    first = FinancialYear.for_date(dates["first"])
    last = FinancialYear.for_date(dates["last"])
    return [FinancialYear(y) for y in range(last.start_year, first.start_year - 1, -1)]


def stored_population(sample: Sample) -> list[engine.Item]:
    return [engine.Item.from_dict(row) for row in sample.population]


def samples_visible_to(user: AnyUser) -> QuerySet[Sample]:
    if not can_read(user):
        return Sample.objects.none()
    return Sample.objects.select_related("drawn_by")


def sample_for(user: AnyUser, sample_id: int) -> Sample | None:
    return samples_visible_to(user).filter(pk=sample_id).first()


def claims_of(sample: Sample) -> QuerySet[SampledClaim]:
    findings = Finding.objects.select_related("recorded_by").prefetch_related(
        Prefetch(
            "recoveries",
            queryset=FindingRecovery.objects.select_related("recovery", "opened_by"),
        )
    )
    return (
        sample.claims.select_related("stratum", "award__tender", "award__bid")
        .prefetch_related(Prefetch("findings", queryset=findings))
        .order_by("stratum__position", "draw_order")
    )


def claim_for(user: AnyUser, claim_id: int) -> SampledClaim | None:
    if not can_read(user):
        return None
    return (
        SampledClaim.objects.select_related("sample", "award__tender", "award__bid")
        .filter(pk=claim_id)
        .first()
    )


def finding_for(user: AnyUser, finding_id: int) -> Finding | None:
    if not can_read(user):
        return None
    return (
        Finding.objects.select_related("claim__sample", "claim__award__bid", "recorded_by")
        .filter(pk=finding_id)
        .first()
    )


def live_recovery_of(finding: Finding) -> Recovery | None:
    """The live recovery opened from the finding, if any (a withdrawn one can be opened again)."""
    link = (
        FindingRecovery.objects.filter(finding=finding, recovery__status__in=Recovery.LIVE_STATUSES)
        .select_related("recovery")
        .first()
    )
    return link.recovery if link else None


def findings_awaiting_recovery(user: AnyUser) -> QuerySet[Finding]:
    """Findings that recommend recovery and have no live recovery yet: an official's queue."""
    if not has_role(user, *OPENERS):
        return Finding.objects.none()
    return (
        Finding.objects.filter(outcome=Outcome.RECOVERY)
        .exclude(recoveries__recovery__status__in=Recovery.LIVE_STATUSES)
        # With the bidder (firm or consortium) the queue names: no query per finding.
        .select_related(
            "claim__sample",
            "claim__award__tender",
            "claim__award__bid__firm",
            "claim__award__bid__consortium",
        )
        .order_by("recorded_at", "id")
    )


@dataclass(frozen=True)
class RedrawCheck:
    """The sample drawn again: from its stored population, and from the population as it is now."""

    stored_hash: str
    stored_rehash: str  # the stored population hashed again: equal unless the record was altered
    current_hash: str
    replay_matches: bool  # the stored population and seed give the stored sample
    current_matches: bool  # the population as it is now and the seed give the stored sample
    added: list[tuple[str, str]]  # claims in the population now that were not when drawn
    removed: list[tuple[str, str]]
    changed: list[tuple[str, str]]  # in both, with other payments

    @property
    def population_unchanged(self) -> bool:
        return self.current_hash == self.stored_hash

    @property
    def record_intact(self) -> bool:
        return self.stored_rehash == self.stored_hash


def _drawn_keys(sample: Sample) -> list[tuple[str, str]]:
    return list(
        sample.claims.order_by("stratum__position", "draw_order").values_list(
            "claim_type", "claim_id"
        )
    )


def redraw_check(sample: Sample) -> RedrawCheck:
    fy = FinancialYear(int(sample.financial_year[:4]))
    stored = stored_population(sample)
    now = population(fy, sample.kinds)
    drawn = _drawn_keys(sample)
    replay = engine.draw(stored, seed=sample.seed, floor_pct=sample.floor_pct)
    current = engine.draw(now, seed=sample.seed, floor_pct=sample.floor_pct).keys if now else []
    before = {i.key: i for i in stored}
    after = {i.key: i for i in now}
    return RedrawCheck(
        stored_hash=sample.population_hash,
        stored_rehash=engine.population_hash(sample.definition, stored),
        current_hash=engine.population_hash(sample.definition, now),
        replay_matches=replay.keys == drawn,
        current_matches=current == drawn,
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(k for k in set(before) & set(after) if before[k] != after[k]),
    )


__all__ = [
    "AUDITORS",
    "OPENERS",
    "READERS",
    "SAMPLED_KINDS",
    "RedrawCheck",
    "can_read",
    "claim_for",
    "claim_url",
    "claims_of",
    "definition",
    "finding_for",
    "findings_awaiting_recovery",
    "kind_title",
    "live_recovery_of",
    "payment_years",
    "population",
    "redraw_check",
    "sample_for",
    "samples_visible_to",
    "stored_population",
]
