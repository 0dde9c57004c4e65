"""Reads of sales claims, scoped to the asker: a firm sees only its own awards' claims; staff see all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from bidding.models import Award
from incentives.claims.models import (
    Claim,
    ClaimDocument,
    ClaimLine,
    ClaimUpload,
    LineAdjustment,
)
from incentives.claims.periods import ClaimPeriod, claim_periods
from incentives.gestation.models import Plant
from repm_portal import request_memo, scoping
from repm_portal import selectors as core_selectors
from repm_portal.models import AuditEvent, Job, RuleSet
from repm_portal.roles import READ_ALL_ROLES, AnyUser, Role, has_role


def _today(now: dt.datetime | None) -> dt.date:
    return timezone.localdate(now or timezone.now())


def awards_of(user: AnyUser) -> QuerySet[Award]:
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
        and awards_of(user).filter(pk=award.pk).exists()
    )


def commissioned_awards_visible_to(user: AnyUser) -> QuerySet[Award]:
    return (
        Award.objects.filter(
            pk__in=awards_of(user).values("pk"), plant__commissioned_on__isnull=False
        )
        .select_related("tender", "bid__firm", "bid__consortium", "rule_set", "plant")
        .order_by("tender", "rank")
    )


def award_for(user: AnyUser, award_id: int) -> Award:
    award = (
        Award.objects.filter(pk=award_id, pk__in=awards_of(user).values("pk"))
        .select_related("tender", "bid__firm", "bid__consortium", "rule_set")
        .first()
    )
    if award is None:
        raise PermissionDenied("No such award, or it is not yours to see.")
    return award


def claims_visible_to(user: AnyUser) -> QuerySet[Claim]:
    return Claim.objects.filter(award__in=awards_of(user).values("pk")).select_related(
        "award__tender", "award__bid__firm", "award__bid__consortium", "rule_set", "current_upload"
    )


@request_memo.memoized
def claims_read(user: AnyUser) -> tuple[Claim, ...]:
    """`claims_visible_to(user)` read once for a page's panels, by id: each with its award's
    tender, bidder, plant and rule set and its own rule set (what the sales-claims and SLI
    panels both follow)."""
    return tuple(
        Claim.objects.filter(award__in=awards_of(user).values("pk"))
        .select_related(
            "award__tender",
            "award__bid__firm",
            "award__bid__consortium",
            "award__plant",
            "award__rule_set",
            "rule_set",
        )
        .order_by("pk")
    )


def claim_for(user: AnyUser, claim_id: int) -> Claim:
    claim = claims_visible_to(user).filter(pk=claim_id).first()
    if claim is None:
        raise PermissionDenied("No such claim, or it is not yours to see.")
    return claim


def uploads_visible_to(user: AnyUser) -> QuerySet[ClaimUpload]:
    return ClaimUpload.objects.filter(award__in=awards_of(user).values("pk")).select_related(
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


def _plant(award: Award) -> Plant | None:
    """The award's plant, from the award itself where a select_related("plant") fetched it."""
    related = Award.plant.related
    if related.is_cached(award):
        cached = related.get_cached_value(award)
        return cached if isinstance(cached, Plant) else None
    return plant_of(award)


def periods_of(award: Award) -> list[ClaimPeriod]:
    """The award's claim periods; none until its plant is commissioned."""
    plant = _plant(award)
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
    versions = list(core_selectors.rule_set_list()) if versions is None else versions
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
        if self.claim is not None and self.claim.status == Claim.Status.RETURNED:
            return True  # back with the firm for correction, whatever the window
        return self.state == "open" and (self.claim is None or self.claim.status == "draft")


def period_rows(award: Award, *, now: dt.datetime | None = None) -> list[PeriodRow]:
    return period_rows_of([award], now=now)[award.pk]


_CLAIM_JSON = ("feedstock_check",)
_UPLOAD_JSON = ("summary_by_rule", "flag_summary", "errors", "totals")


def period_rows_of(
    awards: Iterable[Award],
    *,
    now: dt.datetime | None = None,
    claims: Iterable[Claim] | None = None,
    uploads: bool = True,
    lean: bool = False,
) -> dict[int, list[PeriodRow]]:
    """Each award's period rows, in a fixed number of queries whatever the number of awards.

    `claims`, when given, are claims the caller has already read (at least the awards' own):
    they are not read again. With `uploads=False` the rows carry no latest upload (nor its job),
    for a page that does not show it. With `lean=True` the claims and uploads come without their
    stored JSON (feedstock check, upload totals and errors), for a list that shows none of it.
    """
    awards = list(awards)
    today = _today(now)
    versions = list(core_selectors.rule_set_list())
    ids = [award.pk for award in awards]
    if claims is None:
        claims = Claim.objects.filter(award_id__in=ids)
        if lean:
            claims = claims.defer(*_CLAIM_JSON)
    by_period: dict[tuple[int, dt.date], Claim] = {
        (claim.award_id, claim.period_start): claim for claim in claims
    }
    latest: dict[tuple[int, dt.date], ClaimUpload] = {}
    if uploads:
        found = ClaimUpload.objects.filter(award_id__in=ids).order_by("uploaded_at", "id")
        if lean:
            found = found.defer(*_UPLOAD_JSON)
        for upload in found:
            latest[(upload.award_id, upload.period_start)] = upload
        with_jobs(latest.values())
    by_award: dict[int, list[PeriodRow]] = {}
    for award in awards:
        rows = by_award[award.pk] = []
        for period in periods_of(award):
            rule_set = rule_set_for(period, award=award, versions=versions)
            claim = by_period.get((award.pk, period.starts_on))
            # A claim keeps its own window: a reopened one has a new one.
            closes = (
                claim.window_closes_on
                if claim is not None
                else period.window_closes_on(rule_set.claim_window_days)
            )
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
                    claim=claim,
                    latest_upload=latest.get((award.pk, period.starts_on)),
                    state=state,
                )
            )
    return by_award


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


def _latest_adjustments(claim: Claim) -> QuerySet[LineAdjustment]:
    """The adjustment that counts for each adjusted line of the claim's current upload (the latest)."""
    later = LineAdjustment.objects.filter(
        claim_id=OuterRef("claim_id"),
        upload_id=OuterRef("upload_id"),
        row=OuterRef("row"),
        pk__gt=OuterRef("pk"),
    )
    return LineAdjustment.objects.filter(
        claim_id=claim.pk, upload_id=claim.current_upload_id
    ).filter(~Exists(later))


def latest_adjustment(claim: Claim, row: int) -> LineAdjustment | None:
    return (
        LineAdjustment.objects.filter(claim=claim, upload_id=claim.current_upload_id, row=row)
        .order_by("-pk")
        .first()
    )


def adjusted_line_count(claim: Claim) -> int:
    """Lines that count otherwise than filed (excluded or corrected)."""
    return _latest_adjustments(claim).exclude(kind=LineAdjustment.Kind.RESTORE).count()


def adjustments_of(claim: Claim) -> QuerySet[LineAdjustment]:
    """The whole history of adjustments of the claim's current upload, oldest first, with their makers."""
    return (
        LineAdjustment.objects.filter(claim=claim, upload_id=claim.current_upload_id)
        .select_related("made_by")
        .order_by("pk")
    )


def verified_totals(claim: Claim) -> tuple[Decimal, Decimal]:
    """The claim's eligible net kg and net sales value as the incentive engine takes them.

    The stored totals of its current upload, with the verifier's adjustments applied: an
    excluded line counts nothing, a corrected one its corrected kg and/or value; the latest
    adjustment of a line counts. One query that reads only the adjusted lines, however many
    lines the claim has; exact Decimals. Written as SQL: the issuing job computes it under the
    pool's lock, and the ORM's compiling of the same expression cost more than running it.
    """
    adjustments = LineAdjustment._meta.db_table
    lines = ClaimLine._meta.db_table
    statement = f"""
        SELECT
          COALESCE(SUM(CASE WHEN a.kind = %(exclude)s THEN -l.quantity_kg
                            WHEN a.kind = %(correct)s AND a.quantity_kg IS NOT NULL
                            THEN a.quantity_kg - l.quantity_kg ELSE 0 END), 0),
          COALESCE(SUM(CASE WHEN a.kind = %(exclude)s THEN -l.net_sales_value
                            WHEN a.kind = %(correct)s AND a.net_sales_value IS NOT NULL
                            THEN a.net_sales_value - l.net_sales_value ELSE 0 END), 0)
        FROM {adjustments} a
        JOIN {lines} l ON l.claim_id = a.claim_id AND l.row = a.row
        WHERE a.claim_id = %(claim)s AND a.upload_id = %(upload)s
          AND NOT EXISTS (
            SELECT 1 FROM {adjustments} b
            WHERE b.claim_id = a.claim_id AND b.upload_id = a.upload_id AND b.row = a.row
              AND b.id > a.id)
    """  # noqa: S608 - table names from the models' _meta; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            {
                "exclude": LineAdjustment.Kind.EXCLUDE,
                "correct": LineAdjustment.Kind.CORRECT,
                "claim": claim.pk,
                "upload": claim.current_upload_id,
            },
        )
        kg_change, value_change = cursor.fetchone()
    kg = (claim.eligible_kg + Decimal(kg_change)).quantize(Decimal("0.001"))
    value = (claim.net_sales_value + Decimal(value_change)).quantize(Decimal("0.01"))
    return kg, value


def took_part_in_verification(user: AnyUser, claim: Claim) -> bool:
    """Whether the user took the claim up, adjusted a line of it or verified it: then never its approver."""
    pk = getattr(user, "pk", None)
    if pk is None:
        return False
    return (
        pk in (claim.verified_by_id, claim.verification_started_by_id)
        or LineAdjustment.objects.filter(claim=claim, made_by_id=pk).exists()
    )


def documents_of(claim: Claim) -> QuerySet[ClaimDocument]:
    return ClaimDocument.objects.filter(claim=claim).select_related("uploaded_by").order_by("pk")


def document_for(user: AnyUser, claim_id: int, document_id: int) -> ClaimDocument:
    claim = claim_for(user, claim_id)
    document = ClaimDocument.objects.filter(claim=claim, pk=document_id).first()
    if document is None:
        raise PermissionDenied("No such document of this claim.")
    return document


def history_of(claim: Claim) -> QuerySet[AuditEvent]:
    """Every audited event of the claim (moves, documents, adjustments), oldest first."""
    return AuditEvent.objects.filter(
        object_type=Claim._meta.label_lower, object_id=str(claim.pk)
    ).order_by("id")


# --- service levels -------------------------------------------------------------------------

AWAITING_VERIFICATION = (Claim.Status.SUBMITTED, Claim.Status.UNDER_VERIFICATION)


@dataclass(frozen=True)
class VerificationSla:
    """How the claim stands against the verification service level (days from its latest submission)."""

    submitted_on: dt.date
    due_on: dt.date
    days: int  # the service level, from the claim's rule set
    elapsed: int  # days from submission to today, or to verification if done
    pending: bool  # still waiting for the verifier's word

    @property
    def days_left(self) -> int:
        return (self.due_on - self.submitted_on).days - self.elapsed

    @property
    def days_late(self) -> int:
        return max(0, -self.days_left)

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def verification_sla(claim: Claim, *, now: dt.datetime | None = None) -> VerificationSla | None:
    """None before submission, and once the claim was returned or rejected (the clock stopped)."""
    if claim.submitted_at is None:
        return None
    pending = claim.status in AWAITING_VERIFICATION
    if not pending and claim.verified_at is None:
        return None
    submitted = timezone.localdate(claim.submitted_at)
    days = claim.rule_set.verification_sla_days
    until = _today(now) if pending else timezone.localdate(claim.verified_at)
    return VerificationSla(
        submitted_on=submitted,
        due_on=submitted + dt.timedelta(days=days),
        days=days,
        elapsed=(until - submitted).days,
        pending=pending,
    )


def overdue_verifications(
    user: AnyUser, *, now: dt.datetime | None = None, among: Iterable[Claim] | None = None
) -> list[Claim]:
    """Claims waiting for verification past their service level, most overdue first (staff only).

    `among`, when given, are the user's visible claims already read (by submission): they are
    sorted out here instead of read again.
    """
    if not has_role(user, *READ_ALL_ROLES):
        return []
    if among is None:
        waiting = claims_visible_to(user).filter(status__in=AWAITING_VERIFICATION)
        among = waiting.order_by("submitted_at")
    late = []
    for claim in among:
        if claim.status not in AWAITING_VERIFICATION:
            continue
        sla = verification_sla(claim, now=now)
        if sla is not None and sla.overdue:
            claim.sla = sla  # type: ignore[attr-defined]
            late.append(claim)
    return late


def can_act(user: AnyUser, claim: Claim, *, now: dt.datetime | None = None) -> dict[str, bool]:
    """What the user may do to the claim now, for pages and the API to offer (the services decide)."""
    S = Claim.Status
    firm = is_beneficiary(user, claim.award)
    verifier = has_role(user, Role.VERIFIER)
    under = claim.status == S.UNDER_VERIFICATION
    return {
        "submit": firm
        and (
            (claim.status == S.DRAFT and _today(now) <= claim.window_closes_on)
            or claim.status == S.RETURNED
        ),
        "upload": firm and claim.status in Claim.OPEN_FOR_UPLOAD,
        "declare": firm and claim.status in Claim.OPEN_FOR_UPLOAD,
        "reopen": has_role(user, Role.OFFICIAL)
        and claim.status == S.LAPSED
        and claim.reopened_at is None,
        "start_verification": verifier and claim.status == S.SUBMITTED,
        "adjust": verifier and under,
        "return": verifier and under,
        "reject": verifier and under,
        "verify": verifier and under,
        "approve": has_role(user, Role.APPROVER)
        and claim.status == S.VERIFIED
        and not took_part_in_verification(user, claim),
    }


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(Claim, claims_visible_to)
scoping.register(ClaimUpload, uploads_visible_to)
