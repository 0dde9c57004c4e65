"""Reads of the sales-linked incentive: a claim period's engine inputs from the database, what is
due, and what each person may see of it (a firm its own awards, the read-all roles everything).

The inputs are read from the ledger as it stands, or as it stood up to a ledger entry id
(`as_of`), so a replay can rebuild what a sanction saw. Called under the SLI pool's lock when
the figure is to be spent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DateField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncQuarter

from bidding.models import Award
from incentives import ledger
from incentives import selectors as money_selectors
from incentives.claims.models import Claim
from incentives.claims.selectors import awards_of, periods_of, rule_set_for, verified_totals
from incentives.gestation.models import Plant
from incentives.models import EntryKind, LedgerEntry, Pool, SanctionLetter
from incentives.sli import figures
from incentives.sli.engine import PeriodKind, SliPeriod, SliRules, scheme_year_of
from incentives.sli.models import (
    QUARTER_CLAIM_TYPE,
    TRUE_UP_CLAIM_TYPE,
    PreviewRun,
    SliComputation,
    TrueUp,
)
from repm_portal import scoping
from repm_portal import selectors as core_selectors
from repm_portal.fiscal import FinancialYear, Quarter
from repm_portal.models import Job, RuleSet
from repm_portal.money import to_money
from repm_portal.roles import AnyUser

ZERO = Decimal("0.00")
S = Claim.Status
# A claim whose outcome is final: the year it ends in can be trued up once all of its are.
SETTLED = (S.SANCTIONED, S.PAID, S.NIL, S.REJECTED, S.LAPSED)
# The claims whose verified sales count in the year's totals: approved, whatever they released.
COUNTED = (S.SANCTIONED, S.PAID, S.NIL)
_FY_LABEL = re.compile(r"([0-9]{4})-([0-9]{2})")


# --- the ledger, as it stands or as it stood --------------------------------------------------


def ledger_mark() -> int:
    """The last ledger entry id: what a computation read up to."""
    return LedgerEntry.objects.aggregate(mark=Max("id"))["mark"] or 0


def _entries(as_of: int | None) -> QuerySet[LedgerEntry]:
    query = LedgerEntry.objects.all()
    return query if as_of is None else query.filter(id__lte=as_of)


def _sum(query: QuerySet[LedgerEntry]) -> Decimal:
    return to_money(query.aggregate(total=Sum("amount"))["total"] or ZERO)


def _sli_sanctioned(as_of: int | None) -> QuerySet[LedgerEntry]:
    """SLI sanctions, net of their reversals."""
    return _entries(as_of).filter(pool=Pool.SLI, account=EntryKind.SANCTION)


def _own(claim_type: str, claim_id: int) -> Q:
    return Q(claim_type=claim_type, claim_id=str(claim_id))


def pending_deductions(award: Award, *, as_of: int | None = None) -> Decimal:
    """The award's penalties and recoveries still to be netted (as `ledger.outstanding_deductions`)."""
    return _sum(
        _entries(as_of).filter(award=award, account__in=[EntryKind.PENALTY, EntryKind.RECOVERY])
    )


def sli_sanctioned(award: Award | None = None, *, as_of: int | None = None) -> Decimal:
    query = _sli_sanctioned(as_of)
    return _sum(query if award is None else query.filter(award=award))


# --- rules and awards --------------------------------------------------------------------------


def rules_of(rule_set: RuleSet) -> SliRules:
    return SliRules(
        turnover_cap_pct=rule_set.turnover_cap_pct,
        taper=tuple(rule_set.taper),
        provisional_share_pct=rule_set.provisional_share_pct,
        sli_pool=rule_set.sli_pool,
        award_cap_years=rule_set.sli_years,
    )


def award_cap(award: Award, rule_set: RuleSet) -> Decimal:
    """r x C x 1000 x the rule set's SLI years: the award's cumulative SLI cap."""
    return to_money(award.quoted_rate * award.allocated_mtpa * 1000 * rule_set.sli_years)


def plant_of(award: Award) -> Plant:
    plant = Plant.objects.filter(award=award).first()
    if plant is None:
        raise LookupError(f"{award} has no plant; its SLI cannot be computed.")
    return plant


# --- a quarter ---------------------------------------------------------------------------------


def period_input(
    claim: Claim, *, as_of: int | None = None, rule_set: RuleSet | None = None
) -> SliPeriod:
    """The engine's input for a quarter claim, from the database (or the ledger up to `as_of`).

    The rules are the claim's rule set (in force on its period end) unless `rule_set` names
    the version a replay recorded. What was sanctioned "before" is everyone's SLI but this
    claim's own (a correcting letter recomputes the claim while its first sanction stands).
    """
    award = claim.award
    rule_set = rule_set or claim.rule_set
    plant = plant_of(award)
    eligible_kg, net_sales_value = verified_totals(claim)
    others = _sli_sanctioned(as_of).exclude(_own(QUARTER_CLAIM_TYPE, claim.pk))
    return SliPeriod(
        kind=PeriodKind.QUARTER,
        period_start=claim.period_start,
        period_end=claim.period_end,
        scheme_year=scheme_year_of(claim.period_end, plant.gestation_ends_on, rule_set.sli_months),
        rate=award.quoted_rate,
        capacity_mtpa=award.allocated_mtpa,
        eligible_kg=eligible_kg,
        net_sales_value=net_sales_value,
        award_sanctioned_before=_sum(others.filter(award=award)),
        pool_sanctioned_before=_sum(others),
        pending_deductions=pending_deductions(award, as_of=as_of),
        rules=rules_of(rule_set),
    )


def verified_claims_of_quarter(period_end: dt.date) -> QuerySet[Claim]:
    """The quarter's verified claims (waiting for approval), in the order they came in."""
    return (
        Claim.objects.filter(period_end=period_end, status=S.VERIFIED)
        .select_related("award__plant", "award__tender", "award__bid", "rule_set")
        .order_by("pk")
    )


def quarters_with_verified_claims() -> list[dt.date]:
    return sorted(
        Claim.objects.filter(status=S.VERIFIED).values_list("period_end", flat=True).distinct()
    )


def figures_in_order(
    claims: Iterable[Claim], *, as_of: int | None = None
) -> list[tuple[Claim, figures.Figure]]:
    """Each claim's figure as if the ones before it had been sanctioned first, posting nothing.

    Each sees what the earlier ones would take from its award's cap, from the pool and from its
    award's deductions, so the figures together never spend a rupee twice.
    """
    taken_by_award: dict[int, Decimal] = defaultdict(lambda: ZERO)
    netted_by_award: dict[int, Decimal] = defaultdict(lambda: ZERO)
    taken = ZERO
    found = []
    for claim in claims:
        period = period_input(claim, as_of=as_of)
        period = dataclasses.replace(
            period,
            award_sanctioned_before=period.award_sanctioned_before + taken_by_award[claim.award_id],
            pool_sanctioned_before=period.pool_sanctioned_before + taken,
            pending_deductions=max(
                ZERO, period.pending_deductions - netted_by_award[claim.award_id]
            ),
        )
        figure = figures.figure_of(period)
        taken += figure.release
        taken_by_award[claim.award_id] += figure.release
        netted_by_award[claim.award_id] += figure.result.deduction_applied
        found.append((claim, figure))
    return found


# --- the annual true-up ------------------------------------------------------------------------


def financial_year(label: str) -> FinancialYear:
    """The financial year a label such as "2029-30" names; ValueError otherwise."""
    match = _FY_LABEL.fullmatch(label)
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValueError(f'{label!r} is not a financial year such as "2029-30"')
    return FinancialYear(int(match[1]))


def year_label(year: FinancialYear) -> str:
    return f"{year.start_year}-{(year.start_year + 1) % 100:02d}"


def year_claims(award: Award, year: FinancialYear) -> list[Claim]:
    return list(
        Claim.objects.filter(
            award=award, period_end__gte=year.start, period_end__lte=year.end
        ).select_related("award__plant", "rule_set")
    )


def unsettled(award: Award, year: FinancialYear, *, today: dt.date) -> list[str]:
    """Why the award's year cannot be trued up yet: empty once every period ending in it is settled.

    A period is settled when its claim is (sanctioned, paid, nil, rejected, lapsed), or when it
    has no claim and its window has closed.
    """
    claims = {claim.period_start: claim for claim in year_claims(award, year)}
    reasons = []
    for period in periods_of(award):
        if period.ends_on not in year:
            continue
        claim = claims.get(period.starts_on)
        if claim is not None:
            if claim.status not in SETTLED:
                reasons.append(
                    f"the claim for {claim.quarter_label} is {claim.get_status_display().lower()}"
                )
            continue
        closes = period.window_closes_on(rule_set_for(period, award=award).claim_window_days)
        if today <= closes:
            reasons.append(f"the window for {period.label} is open until {closes:%d %b %Y}")
    return reasons


@dataclass(frozen=True)
class TrueUpScope:
    """What a true-up covers: the year's counted claims and the rule set in force on its last day."""

    award: Award
    year: FinancialYear
    claims: list[Claim]
    rule_set: RuleSet

    @property
    def period_start(self) -> dt.date:
        return self.claims[0].period_start

    @property
    def period_end(self) -> dt.date:
        return self.claims[-1].period_end


def true_up_scope(award: Award, year: FinancialYear) -> TrueUpScope | None:
    """None when no claim of the year was approved: there is nothing to true up."""
    counted = sorted(
        (claim for claim in year_claims(award, year) if claim.status in COUNTED),
        key=lambda claim: claim.period_start,
    )
    if not counted:
        return None
    return TrueUpScope(award=award, year=year, claims=counted, rule_set=counted[-1].rule_set)


def released_in_year(scope: TrueUpScope, *, as_of: int | None = None) -> Decimal:
    """What the year's quarters released (their SLI sanctions, net of reversals), before deductions."""
    return _sum(_year_releases(scope, as_of))


def _year_releases(scope: TrueUpScope, as_of: int | None) -> QuerySet[LedgerEntry]:
    return _sli_sanctioned(as_of).filter(
        claim_type=QUARTER_CLAIM_TYPE, claim_id__in=[str(claim.pk) for claim in scope.claims]
    )


def true_up_input(
    scope: TrueUpScope, *, true_up_id: int | None = None, as_of: int | None = None
) -> SliPeriod:
    """The engine's input for the annual true-up of `scope` (SCHEME.md section 4, last paragraph).

    The year's totals are the sums of its counted claims' verified totals; what was sanctioned
    "before" leaves out the year's own quarters (they come in as `released_in_year`) and any
    earlier letter of this true-up itself.
    """
    award, rule_set = scope.award, scope.rule_set
    plant = plant_of(award)
    kg, value = ZERO, ZERO
    for claim in scope.claims:
        eligible_kg, net_sales_value = verified_totals(claim)
        kg += eligible_kg
        value += net_sales_value
    releases = _year_releases(scope, as_of)
    others = _sli_sanctioned(as_of).exclude(pk__in=releases.values("pk"))
    if true_up_id is not None:
        others = others.exclude(_own(TRUE_UP_CLAIM_TYPE, true_up_id))
    return SliPeriod(
        kind=PeriodKind.TRUE_UP,
        period_start=scope.period_start,
        period_end=scope.period_end,
        scheme_year=scheme_year_of(scope.period_end, plant.gestation_ends_on, rule_set.sli_months),
        rate=award.quoted_rate,
        capacity_mtpa=award.allocated_mtpa,
        eligible_kg=kg,
        net_sales_value=value,
        award_sanctioned_before=_sum(others.filter(award=award)),
        pool_sanctioned_before=_sum(others),
        pending_deductions=pending_deductions(award, as_of=as_of),
        released_in_year=_sum(releases),
        rules=rules_of(rule_set),
    )


def due_true_ups(*, today: dt.date, limit: int = 100) -> list[tuple[Award, FinancialYear]]:
    """Award-years ended, settled and approved at least once, with no true-up yet: at most `limit`."""
    done = set(TrueUp.objects.values_list("award_id", "financial_year"))
    pairs = sorted(
        {
            (award_id, FinancialYear.for_date(period_end))
            for award_id, period_end in Claim.objects.filter(status__in=COUNTED).values_list(
                "award_id", "period_end"
            )
        }
    )
    awards = Award.objects.in_bulk({award_id for award_id, _ in pairs})
    due = []
    for award_id, year in pairs:
        if (award_id, year_label(year)) in done or year.end >= today:
            continue
        award = awards[award_id]
        if not unsettled(award, year, today=today):
            due.append((award, year))
            if len(due) >= limit:
                break
    return due


# --- what people see, scoped per user ----------------------------------------------------------

# The claims whose figure is shown as a preview (what they would receive now) until sanctioned.
PREVIEWED = (S.DRAFT, S.SUBMITTED, S.UNDER_VERIFICATION, S.RETURNED, S.VERIFIED, S.APPROVED)
# The claims the quarter queue waits on: verified (for approval), approved (for the letter).
WAITING = (S.VERIFIED, S.APPROVED)
# Where a claim's figure comes from.
FROM_LETTER = "letter"  # its sanction letter, as issued
FROM_RECORD = "record"  # its figure of record, with no letter (nil)
FROM_RUN = "preview run"  # the latest quarter-close preview run
FROM_NOW = "preview"  # computed now, posting nothing
_AWARD_RELATED = ("award__tender", "award__bid__firm", "award__bid__consortium")


def awards_visible_to(user: AnyUser) -> QuerySet[Award]:
    """The commissioned awards the user may see: only a commissioned plant sells and claims."""
    return (
        Award.objects.filter(
            pk__in=awards_of(user).values("pk"), plant__commissioned_on__isnull=False
        )
        .select_related("tender", "bid__firm", "bid__consortium", "plant", "rule_set")
        .order_by("tender__reference", "rank", "pk")
    )


def claims_visible_to(user: AnyUser) -> QuerySet[Claim]:
    return Claim.objects.filter(award__in=awards_of(user).values("pk")).select_related(
        *_AWARD_RELATED, "award__plant", "award__rule_set", "rule_set"
    )


def computations_visible_to(user: AnyUser) -> QuerySet[SliComputation]:
    return SliComputation.objects.filter(award__in=awards_of(user).values("pk")).select_related(
        *_AWARD_RELATED, "rule_set", "letter", "claim", "true_up", "preview_run"
    )


def true_ups_visible_to(user: AnyUser) -> QuerySet[TrueUp]:
    return TrueUp.objects.filter(award__in=awards_of(user).values("pk")).select_related(
        *_AWARD_RELATED, "rule_set", "letter", "recovery_entry", "computed_by", "approved_by"
    )


def rule_set_today(award: Award, *, today: dt.date) -> RuleSet:
    """The rule set in force today (the next claim's cap is read under it); the award's if none yet."""
    try:
        return core_selectors.rule_set_in_force(on=today)
    except RuleSet.DoesNotExist:
        return award.rule_set


@dataclass(frozen=True)
class ClaimFigure:
    """What one quarter claim receives: its letter's figures once sanctioned, else a preview."""

    claim: Claim
    source: str  # FROM_LETTER, FROM_RECORD, FROM_RUN, FROM_NOW, or "" (nothing to show)
    release: Decimal | None = None  # sanctioned (the letter's amount), or what would be
    deducted: Decimal | None = None  # deductions netted from it
    payable: Decimal | None = None
    paid: Decimal | None = None  # against the letter
    letter: SanctionLetter | None = None
    computation: SliComputation | None = None  # the stored figure it was read from
    problem: str = ""  # why no figure could be computed

    @property
    def is_preview(self) -> bool:
        return self.source in (FROM_RUN, FROM_NOW)

    @property
    def pending(self) -> Decimal | None:
        if self.letter is None or self.payable is None or self.paid is None:
            return None
        return self.payable - self.paid


def live_figure(claim: Claim) -> figures.Figure:
    """What the claim would receive if it were sanctioned now (as `preview.preview`)."""
    return figures.figure_of(period_input(claim))


def _from_figure(claim: Claim, figure: figures.Figure) -> ClaimFigure:
    return ClaimFigure(
        claim=claim,
        source=FROM_NOW,
        release=figure.release,
        deducted=figure.result.deduction_applied,
        payable=figure.result.payable,
    )


def _from_stored(claim: Claim, stored: SliComputation, source: str) -> ClaimFigure:
    return ClaimFigure(
        claim=claim,
        source=source,
        release=stored.release,
        deducted=stored.release - stored.payable,
        payable=stored.payable,
        computation=stored,
    )


def current_letters(claims: Iterable[Claim]) -> dict[int, SanctionLetter]:
    """Each claim's letter in force (not reversed by a correction). The claims are the caller's
    to see, so their letters are too (a consortium member sees its award's, as its claims)."""
    letters = (
        SanctionLetter.objects.filter(
            claim_type=QUARTER_CLAIM_TYPE,
            claim_id__in=[str(claim.pk) for claim in claims],
            reversed_by__isnull=True,
        )
        .select_related("rule_set")
        .annotate(
            paid=Coalesce(Sum("payments__amount"), Value(ZERO)),
            last_paid_on=Max("payments__paid_on"),
        )
    )
    return {int(letter.claim_id): letter for letter in letters}


def claim_figures(claims: Iterable[Claim], *, run: PreviewRun | None = None) -> list[ClaimFigure]:
    """Each claim's figure: its letter's, its figure of record (nil), or a preview.

    A verified claim the preview run `run` computed shows the run's figure; any other claim not
    yet sanctioned is computed now, posting nothing.
    """
    claims = list(claims)
    letters = current_letters(claims)
    records: dict[int, SliComputation] = {}
    for stored in SliComputation.objects.filter(
        claim__in=claims, purpose=SliComputation.Purpose.SANCTION, letter__isnull=True
    ).order_by("id"):
        records[stored.claim_id or 0] = stored
    run_rows: dict[int, SliComputation] = {}
    if run is not None:
        run_rows = {stored.claim_id or 0: stored for stored in run.computations.all()}
    shown = []
    for claim in claims:
        letter = letters.get(claim.pk)
        if letter is not None:
            shown.append(
                ClaimFigure(
                    claim=claim,
                    source=FROM_LETTER,
                    release=letter.amount,
                    deducted=letter.deducted,
                    payable=letter.payable,
                    paid=money_selectors.payment_position(letter).paid,
                    letter=letter,
                )
            )
        elif claim.pk in records and claim.status in COUNTED:
            shown.append(_from_stored(claim, records[claim.pk], FROM_RECORD))
        elif claim.status == S.VERIFIED and claim.pk in run_rows:
            shown.append(_from_stored(claim, run_rows[claim.pk], FROM_RUN))
        elif claim.status in PREVIEWED:
            try:
                shown.append(_from_figure(claim, live_figure(claim)))
            except (LookupError, ValueError) as exc:
                shown.append(ClaimFigure(claim=claim, source="", problem=str(exc)))
        else:
            shown.append(ClaimFigure(claim=claim, source=""))
    return shown


# --- a firm's position: each award against its cap ---------------------------------------------


@dataclass(frozen=True)
class AwardPosition:
    """One award's SLI: its five-year cap, the SLI pool's ledger balances, its claims and true-ups."""

    award: Award
    rule_set: RuleSet  # the version whose SLI years give the cap
    cap: Decimal
    balances: ledger.Balances
    claims: list[ClaimFigure]
    true_ups: list[TrueUp]

    @property
    def cap_left(self) -> Decimal:
        return max(ZERO, self.cap - self.balances.sanctioned)

    @property
    def used_pct(self) -> Decimal:
        if not self.cap:
            return ZERO
        return to_money(self.balances.sanctioned * 100 / self.cap)


def award_positions(
    user: AnyUser, *, today: dt.date, detail: bool = True, awards: list[Award] | None = None
) -> list[AwardPosition]:
    """Every award the user may see with its SLI position (a firm's page: its own awards).

    The awards' balances are read in one query for all; `detail=False` leaves out the claims
    and true-ups (a panel that shows only the balances against the cap). `awards`, when given,
    are `awards_visible_to(user)` already read.
    """
    awards = list(awards_visible_to(user)) if awards is None else awards
    claims: dict[int, list[Claim]] = defaultdict(list)
    true_ups: dict[int, list[TrueUp]] = defaultdict(list)
    if detail:
        for claim in claims_visible_to(user).filter(award__in=awards).order_by("period_start"):
            claims[claim.award_id].append(claim)
        for true_up in true_ups_visible_to(user).filter(award__in=awards):
            true_ups[true_up.award_id].append(true_up)
    balances = ledger.balances_by_award([award.pk for award in awards], pool=Pool.SLI)
    positions = []
    for award in awards:
        rule_set = rule_set_today(award, today=today)
        positions.append(
            AwardPosition(
                award=award,
                rule_set=rule_set,
                cap=award_cap(award, rule_set),
                balances=balances[award.pk],
                claims=claim_figures(claims[award.pk]) if detail else [],
                true_ups=true_ups[award.pk],
            )
        )
    return positions


# --- the quarter queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterQueue:
    """A quarter's claims with what each receives or would receive, and its latest preview run."""

    period_end: dt.date | None
    quarters: list[dt.date]  # every quarter end with a claim, newest first
    claims: list[ClaimFigure]
    run: PreviewRun | None
    job: Job | None

    @property
    def label(self) -> str:
        return Quarter.for_date(self.period_end).label if self.period_end else ""

    @property
    def counts(self) -> list[tuple[str, int]]:
        """How many claims are in each state, in the order of the lifecycle."""
        found: dict[str, int] = defaultdict(int)
        for shown in self.claims:
            found[shown.claim.status] += 1
        return [(label, found[value]) for value, label in S.choices if found[value]]

    @property
    def waiting(self) -> list[ClaimFigure]:
        return [shown for shown in self.claims if shown.claim.status in WAITING]

    @property
    def waiting_release(self) -> Decimal:
        return sum((shown.release or ZERO for shown in self.waiting), ZERO)


def quarter_ends(user: AnyUser) -> list[dt.date]:
    return sorted(set(claims_visible_to(user).values_list("period_end", flat=True)), reverse=True)


def quarter_queue(user: AnyUser, period_end: dt.date | None = None) -> QuarterQueue:
    """The quarter ending `period_end`; by default the latest with claims waiting (or any claim)."""
    quarters = quarter_ends(user)
    if period_end is None:
        waiting = claims_visible_to(user).filter(status__in=WAITING)
        period_end = waiting.aggregate(last=Max("period_end"))["last"] or (
            quarters[0] if quarters else None
        )
    if period_end is None:
        return QuarterQueue(period_end=None, quarters=quarters, claims=[], run=None, job=None)
    run = PreviewRun.objects.filter(period_end=period_end).first()
    job = None
    if run is not None:
        job = Job.objects.filter(task=PreviewRun.TASK, target=str(run.pk)).first()
    claims = claims_visible_to(user).filter(period_end=period_end).order_by("pk")
    return QuarterQueue(
        period_end=period_end,
        quarters=quarters,
        claims=claim_figures(claims, run=run),
        run=run,
        job=job,
    )


def waiting_counts(
    user: AnyUser, *, among: Iterable[Claim] | None = None
) -> list[tuple[dt.date, int, int]]:
    """Per quarter end, newest first: how many claims are verified and how many approved.

    `among`, when given, are the user's waiting claims already read: counted, not read again.
    """
    rows: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    found: Iterable[tuple[dt.date, str]]
    if among is None:
        found = (
            claims_visible_to(user).filter(status__in=WAITING).values_list("period_end", "status")
        )
    else:
        found = [(claim.period_end, claim.status) for claim in among if claim.status in WAITING]
    for period_end, status in found:
        rows[period_end][0 if status == S.VERIFIED else 1] += 1
    return [
        (end, verified, approved)
        for end, (verified, approved) in sorted(rows.items(), reverse=True)
    ]


# --- the SLI pool ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolPoint:
    """The pool at the end of one quarter: its limit then, and what was sanctioned and paid to date."""

    quarter: Quarter
    limit: Decimal
    sanctioned: Decimal  # cumulative
    paid: Decimal  # cumulative


@dataclass(frozen=True)
class SliPool:
    rule_set: RuleSet  # in force today: its limit
    limit: Decimal
    balances: ledger.Balances
    committed: list[ClaimFigure]  # approved, not yet sanctioned: what each would take, in order
    history: list[PoolPoint]

    @property
    def committed_total(self) -> Decimal:
        return sum((shown.release or ZERO for shown in self.committed), ZERO)

    @property
    def left(self) -> Decimal:
        """Neither sanctioned nor committed to an approved claim."""
        return self.limit - self.balances.sanctioned - self.committed_total


def committed(user: AnyUser, *, among: list[Claim] | None = None) -> list[ClaimFigure]:
    """The approved claims waiting for their letter, each as it would be sanctioned, in claim order.

    `among`, when given, are the user's claims already read (by id): the approved are taken from them.
    """
    if among is None:
        approved: Iterable[Claim] = claims_visible_to(user).filter(status=S.APPROVED).order_by("pk")
    else:
        # A tuple: figures_in_order is memoized on its (hashable) arguments.
        approved = tuple(claim for claim in among if claim.status == S.APPROVED)
    shown = []
    for claim, figure in figures_in_order(approved):
        shown.append(_from_figure(claim, figure))
    return shown


def pool_history(*, today: dt.date) -> list[PoolPoint]:
    """Quarter by quarter from the first SLI entry to today: cumulative sanctioned and paid."""
    sums = (
        LedgerEntry.objects.filter(
            pool=Pool.SLI, account__in=[EntryKind.SANCTION, EntryKind.PAYMENT]
        )
        .annotate(starts=TruncQuarter("posted_at", output_field=DateField()))
        .values("starts", "account")
        .annotate(total=Sum("amount"))
        .order_by("starts")
    )
    by_quarter: dict[Quarter, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in sums:
        by_quarter[Quarter.for_date(row["starts"])][row["account"]] += row["total"]
    if not by_quarter:
        return []
    versions = list(core_selectors.rule_set_list())
    quarter, last = min(by_quarter), max(max(by_quarter), Quarter.for_date(today))
    points = []
    sanctioned = paid = ZERO
    while quarter <= last:
        sanctioned += by_quarter[quarter][EntryKind.SANCTION] if quarter in by_quarter else ZERO
        paid += by_quarter[quarter][EntryKind.PAYMENT] if quarter in by_quarter else ZERO
        in_force = [v for v in versions if v.effective_from <= quarter.end] or versions[:1]
        points.append(
            PoolPoint(
                quarter=quarter,
                limit=ledger.pool_limit(in_force[-1], Pool.SLI),
                sanctioned=to_money(sanctioned),
                paid=to_money(paid),
            )
        )
        quarter = quarter.next()
    return points


def sli_pool(
    user: AnyUser, *, today: dt.date, history: bool = True, among: list[Claim] | None = None
) -> SliPool:
    """The SLI pool today; `history=False` leaves out its quarters (a panel that shows none),
    `among` are the user's claims already read (see `committed`)."""
    rule_set = core_selectors.rule_set_in_force(on=today)
    return SliPool(
        rule_set=rule_set,
        limit=ledger.pool_limit(rule_set, Pool.SLI),
        balances=ledger.balances(pool=Pool.SLI),
        committed=committed(user, among=among),
        history=pool_history(today=today) if history else [],
    )


__all__ = [
    "COUNTED",
    "FROM_LETTER",
    "FROM_NOW",
    "FROM_RECORD",
    "FROM_RUN",
    "PREVIEWED",
    "SETTLED",
    "WAITING",
    "AwardPosition",
    "ClaimFigure",
    "PoolPoint",
    "QuarterQueue",
    "SliPool",
    "TrueUpScope",
    "award_cap",
    "award_positions",
    "awards_visible_to",
    "claim_figures",
    "claims_visible_to",
    "committed",
    "computations_visible_to",
    "current_letters",
    "due_true_ups",
    "figures_in_order",
    "financial_year",
    "ledger_mark",
    "live_figure",
    "pending_deductions",
    "period_input",
    "plant_of",
    "pool_history",
    "quarter_ends",
    "quarter_queue",
    "quarters_with_verified_claims",
    "released_in_year",
    "rule_set_today",
    "rules_of",
    "sli_pool",
    "sli_sanctioned",
    "true_up_input",
    "true_up_scope",
    "true_ups_visible_to",
    "unsettled",
    "verified_claims_of_quarter",
    "waiting_counts",
    "year_claims",
    "year_label",
]


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(SliComputation, computations_visible_to)
scoping.register(TrueUp, true_ups_visible_to)
