"""Reads of sales claims, scoped to the asker: a firm sees only its own awards' claims; staff see all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from bidding.models import Award
from incentives.claims.models import Claim, ClaimLine, ClaimUpload
from incentives.claims.periods import ClaimPeriod, claim_periods
from incentives.gestation.models import Plant
from repm_portal import selectors as core_selectors
from repm_portal.models import Job, RuleSet
from repm_portal.roles import READ_ALL_ROLES, AnyUser, Role, has_role


def _today(now: dt.datetime | None) -> dt.date:
    return timezone.localdate(now or timezone.now())


def _awards_of(user: AnyUser) -> QuerySet[Award]:
    """The awards the user may see: all for staff; for a firm user, its bids' (lead or member)."""
    if has_role(user, *READ_ALL_ROLES):
        return Award.objects.all()
    if has_role(user, Role.FIRM_USER) and user.firm_id:
        return Award.objects.filter(
            Q(bid__firm_id=user.firm_id) | Q(bid__participants__firm_id=user.firm_id)
        )
    return Award.objects.none()


def is_beneficiary(user: AnyUser, award: Award) -> bool:
    """Whether the user acts for the award's beneficiary (its bidder or a consortium member)."""
    return (
        has_role(user, Role.FIRM_USER)
        and bool(user.firm_id)
        and _awards_of(user).filter(pk=award.pk).exists()
    )


def commissioned_awards_visible_to(user: AnyUser) -> QuerySet[Award]:
    return (
        Award.objects.filter(
            pk__in=_awards_of(user).values("pk"), plant__commissioned_on__isnull=False
        )
        .select_related("tender", "bid__firm", "bid__consortium", "rule_set", "plant")
        .order_by("tender", "rank")
    )


def award_for(user: AnyUser, award_id: int) -> Award:
    award = (
        Award.objects.filter(pk=award_id, pk__in=_awards_of(user).values("pk"))
        .select_related("tender", "bid__firm", "bid__consortium", "rule_set")
        .first()
    )
    if award is None:
        raise PermissionDenied("No such award, or it is not yours to see.")
    return award


def claims_visible_to(user: AnyUser) -> QuerySet[Claim]:
    return Claim.objects.filter(award__in=_awards_of(user).values("pk")).select_related(
        "award__tender", "award__bid__firm", "award__bid__consortium", "rule_set", "current_upload"
    )


def claim_for(user: AnyUser, claim_id: int) -> Claim:
    claim = claims_visible_to(user).filter(pk=claim_id).first()
    if claim is None:
        raise PermissionDenied("No such claim, or it is not yours to see.")
    return claim


def uploads_visible_to(user: AnyUser) -> QuerySet[ClaimUpload]:
    return ClaimUpload.objects.filter(award__in=_awards_of(user).values("pk")).select_related(
        "award__tender", "award__bid__firm", "award__bid__consortium", "claim", "uploaded_by"
    )


def upload_for(user: AnyUser, upload_id: int) -> ClaimUpload:
    upload = uploads_visible_to(user).filter(pk=upload_id).first()
    if upload is None:
        raise PermissionDenied("No such upload, or it is not yours to see.")
    return upload


def with_jobs(uploads: Iterable[ClaimUpload]) -> list[ClaimUpload]:
    """The uploads, each with its job (`upload.job`, so `upload.progress`), fetched in one query for all."""
    uploads = list(uploads)
    if not uploads:
        return uploads
    found = Job.objects.filter(
        task=ClaimUpload.TASK, target__in=[str(upload.pk) for upload in uploads]
    )
    by_target = {job.target: job for job in found}
    for upload in uploads:
        upload.job = by_target.get(str(upload.pk))
        upload.__dict__.pop("progress", None)
    return uploads


def flagged_lines(claim: Claim) -> QuerySet[ClaimLine]:
    """Lines the verifier should look at: related-party sales and prices outside the band."""
    return ClaimLine.objects.filter(claim=claim).filter(
        Q(related_party=True) | Q(unit_value_outlier=True)
    )


# --- periods --------------------------------------------------------------------------------


def plant_of(award: Award) -> Plant | None:
    return Plant.objects.filter(award=award).first()


def periods_of(award: Award) -> list[ClaimPeriod]:
    """The award's claim periods; none until its plant is commissioned."""
    plant = plant_of(award)
    if plant is None or plant.commissioned_on is None:
        return []
    return claim_periods(
        commissioned_on=plant.commissioned_on,
        gestation_ends_on=plant.gestation_ends_on,
        sli_months=award.rule_set.sli_months,
    )


def period_of(award: Award, period_start: dt.date) -> ClaimPeriod | None:
    return next((p for p in periods_of(award) if p.starts_on == period_start), None)


def rule_set_for(
    period: ClaimPeriod, *, award: Award, versions: list[RuleSet] | None = None
) -> RuleSet:
    """The rule set in force on the period's last day (SCHEME.md section 6); the award's if none yet."""
    versions = list(core_selectors.rule_sets()) if versions is None else versions
    chosen = [version for version in versions if version.effective_from <= period.ends_on]
    return chosen[-1] if chosen else award.rule_set


@dataclass(frozen=True)
class PeriodRow:
    """A claim period as a page shows it: its window, its claim and its latest upload."""

    period: ClaimPeriod
    rule_set: RuleSet
    window_closes_on: dt.date
    claim: Claim | None
    latest_upload: ClaimUpload | None
    state: str  # "running" (not ended), "open" (window open), "closed"

    @property
    def can_upload(self) -> bool:
        return self.state == "open" and (self.claim is None or self.claim.status == "draft")


def period_rows(award: Award, *, now: dt.datetime | None = None) -> list[PeriodRow]:
    today = _today(now)
    versions = list(core_selectors.rule_sets())
    claims = {claim.period_start: claim for claim in Claim.objects.filter(award=award)}
    latest: dict[dt.date, ClaimUpload] = {}
    for upload in ClaimUpload.objects.filter(award=award).order_by("uploaded_at", "id"):
        latest[upload.period_start] = upload
    with_jobs(latest.values())
    rows = []
    for period in periods_of(award):
        rule_set = rule_set_for(period, award=award, versions=versions)
        closes = period.window_closes_on(rule_set.claim_window_days)
        if today <= period.ends_on:
            state = "running"
        elif today <= closes:
            state = "open"
        else:
            state = "closed"
        rows.append(
            PeriodRow(
                period=period,
                rule_set=rule_set,
                window_closes_on=closes,
                claim=claims.get(period.starts_on),
                latest_upload=latest.get(period.starts_on),
                state=state,
            )
        )
    return rows


def invoice_numbers(award: Award, *, excluding_period: dt.date) -> frozenset[str]:
    """Invoice numbers (in capitals) of the current lines of the award's other claims."""
    keys = (
        ClaimLine.objects.filter(award=award)
        .exclude(claim__period_start=excluding_period)
        .values_list("invoice_number", flat=True)
    )
    return frozenset(number.upper() for number in keys.iterator(chunk_size=50_000))


def invoices_before(award: Award, *, period_start: dt.date) -> frozenset[str]:
    """Invoice (not credit-note) numbers of the award's claims for earlier periods: what a credit note may reverse."""
    keys = ClaimLine.objects.filter(
        award=award, claim__period_start__lt=period_start, is_credit_note=False
    ).values_list("invoice_number", flat=True)
    return frozenset(number.upper() for number in keys.iterator(chunk_size=50_000))


def partner_gstins(award: Award) -> tuple[str, frozenset[str]]:
    """(The bidder's GSTIN, the GSTINs of the other firms of its consortium)."""
    lead = award.bid.firm.gstin
    others = {
        participant.firm.gstin
        for participant in award.bid.participants.select_related("firm")
        if participant.firm.gstin
    }
    return lead, frozenset(others - {lead})


def verified_totals(claim: Claim) -> tuple[Decimal, Decimal]:
    """The claim's eligible net kg and net sales value as the incentive engine takes them.

    Before verification these are the stored totals of its current upload; the verifier's
    adjustments (excluded lines, corrected kg or value) are applied on top.
    """
    return claim.eligible_kg, claim.net_sales_value
