"""The annual true-up (SCHEME.md section 4, last paragraph) and its claim kind "sli_true_up".

Once every claim period of an award ending in a financial year is settled, the year is computed
again over its totals (capacity and turnover caps over the whole year) less what its quarters
released. An approver (never the person who computed it) approves it: a balance is sanctioned
through the money core (the kind recomputes it under the pool's lock); an excess is posted as a
recovery, netted from later payouts; nothing either way closes it as nil.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext

from beneficiaries.models import User
from bidding.models import Award
from incentives import ledger, sanctions
from incentives.models import EntryKind, Pool, SanctionLetter, SanctionRequest
from incentives.recovery import services as recovery_services
from incentives.sli import figures, selectors
from incentives.sli.models import TRUE_UP_CLAIM_TYPE, SliComputation, TrueUp
from incentives.sli.quarter import LETTER_PREFIX
from repm_portal import audit, clock
from repm_portal.pipeline import transition
from repm_portal.roles import Role, require_role

log = logging.getLogger(__name__)
T = TrueUp.Status
PIPELINE: dict[str, set[str]] = {
    T.COMPUTED: {T.APPROVED},
    T.APPROVED: {T.SANCTIONED, T.RECOVERED, T.NIL},
    T.SANCTIONED: set(),
    T.RECOVERED: set(),
    T.NIL: set(),
}
APPROVERS = (Role.APPROVER,)


def _label(true_up: TrueUp) -> str:
    return f"SLI true-up {true_up.financial_year} of {true_up.award}"


def _shown(true_up: TrueUp) -> str:
    """The label in the reader's language, for refusals (the audit keeps `_label`)."""
    return gettext("SLI true-up %(year)s of %(award)s") % {
        "year": true_up.financial_year,
        "award": true_up.award,
    }


def _scope(true_up: TrueUp) -> selectors.TrueUpScope:
    scope = selectors.true_up_scope(true_up.award, selectors.financial_year(true_up.financial_year))
    if scope is None:
        raise ValidationError(
            gettext("%(true_up)s has no approved claim left to true up.")
            % {"true_up": _shown(true_up)}
        )
    return scope


def figure_for(
    true_up: TrueUp, *, as_of: int | None = None
) -> tuple[figures.Figure, selectors.TrueUpScope]:
    scope = _scope(true_up)
    period = selectors.true_up_input(scope, true_up_id=true_up.pk, as_of=as_of)
    return figures.figure_of(period), scope


# --- computing ---------------------------------------------------------------------------------


@transaction.atomic
def compute_true_up(
    *,
    award: Award,
    financial_year: str,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> TrueUp:
    """Compute the award's true-up of `financial_year` ("2029-30") once every period of it is settled.

    A year already trued up returns its true-up unchanged. `actor` None is the daily sweep.
    """
    if actor is not None:
        require_role(actor, Role.OFFICIAL, Role.APPROVER, Role.ADMIN, action="compute a true-up")
    now = clock.now(now)
    year = selectors.financial_year(financial_year)
    label = selectors.year_label(year)
    existing = TrueUp.objects.filter(award=award, financial_year=label).first()
    if existing is not None:
        return existing
    reasons = selectors.unsettled(award, year, today=clock.today(now))
    if reasons:
        raise ValidationError(
            f"The {year.label} of {award} cannot be trued up yet: " + "; ".join(reasons) + "."
        )
    scope = selectors.true_up_scope(award, year)
    if scope is None:
        raise ValidationError(
            gettext("No claim of %(award)s for %(year)s was approved: nothing to true up.")
            % {"award": award, "year": year.label}
        )
    mark = selectors.ledger_mark()
    figure = figures.figure_of(selectors.true_up_input(scope, as_of=mark))
    try:
        with transaction.atomic():
            true_up = TrueUp.objects.create(
                award=award,
                financial_year=label,
                period_start=scope.period_start,
                period_end=scope.period_end,
                rule_set=scope.rule_set,
                balance=figure.release,
                recovery=figure.result.recovery,
                computed_by=actor,
                computed_at=now,
            )
    except IntegrityError:
        # Another run computed the same year first.
        return TrueUp.objects.get(award=award, financial_year=label)
    figures.store(
        figure, purpose=SliComputation.Purpose.PREVIEW, award=award, rule_set=scope.rule_set,
        ledger_mark=mark, computed_at=now, true_up=true_up,
    )  # fmt: skip
    audit.record(
        actor=actor,
        action="slitrueup.computed",
        obj=true_up,
        new={
            "financial_year": label,
            "claims": [claim.pk for claim in scope.claims],
            "balance": true_up.balance,
            "recovery": true_up.recovery,
            "rule_set": scope.rule_set.version,
        },
    )
    return true_up


def compute_due_true_ups(*, now: dt.datetime | None = None, limit: int = 100) -> list[TrueUp]:
    """Daily: every award-year that is settled and has no true-up yet gets one (at most `limit`)."""
    now = clock.now(now)
    made = []
    for award, year in selectors.due_true_ups(today=clock.today(now), limit=limit):
        try:
            made.append(
                compute_true_up(award=award, financial_year=selectors.year_label(year), now=now)
            )
        except (ValidationError, ValueError, LookupError):
            log.exception("True-up of %s for %s could not be computed", award, year)
    return made


# --- approving ---------------------------------------------------------------------------------


def _post_recovery(true_up: TrueUp, recovery: Decimal, *, now: dt.datetime) -> None:
    entry = ledger.post(
        kind=EntryKind.RECOVERY,
        pool=Pool.SLI,
        award=true_up.award,
        amount=recovery,
        source_key=f"true-up:{true_up.award_id}:{true_up.financial_year}",
        rule_set=true_up.rule_set,
        document_ref=f"SLI true-up {true_up.financial_year} (true-up:{true_up.pk})",
        narration=(
            f"Excess SLI of the {true_up.financial_year} quarters over the year's figure, "
            "to be netted from later payouts"
        ),
        now=now,
        claim_type=TRUE_UP_CLAIM_TYPE,
        claim_id=true_up.pk,
    )
    if entry is None:
        raise ValidationError(f"{_label(true_up)}: its recovery was posted before.")
    transition(
        true_up, T.RECOVERED, pipeline=PIPELINE, actor=None, now=now, label=_label(true_up),
        extra={"recovery_entry_id": entry.pk, "settled_at": now}, audit_new={"recovery": recovery},
    )  # fmt: skip


@transaction.atomic
def approve_true_up(*, true_up: TrueUp, actor: User, now: dt.datetime | None = None) -> TrueUp:
    """Approve a computed true-up (never by whoever computed it) and settle it.

    The year is recomputed under the SLI pool's lock: a balance is asked for its sanction letter
    (whose job computes it once more, under the lock, as it spends it); an excess is posted as a
    recovery; nothing either way is nil.
    """
    require_role(actor, *APPROVERS, action="approve an SLI true-up")
    now = clock.now(now)
    true_up = (
        TrueUp.objects.select_for_update(of=("self",))
        .select_related("award", "rule_set")
        .get(pk=true_up.pk)
    )
    if true_up.status != T.COMPUTED:
        raise ValidationError(
            gettext("%(true_up)s is %(status)s.")
            % {"true_up": _shown(true_up), "status": gettext(true_up.get_status_display()).lower()}
        )
    if true_up.computed_by_id is not None and true_up.computed_by_id == actor.pk:
        raise PermissionDenied(
            gettext("Whoever computed a true-up may not approve it (maker-checker).")
        )
    transition(
        true_up, T.APPROVED, pipeline=PIPELINE, actor=actor, now=now, label=_label(true_up),
        extra={"approved_by_id": actor.pk, "approved_at": now},
    )  # fmt: skip
    ledger.lock_pool(Pool.SLI)
    mark = selectors.ledger_mark()
    figure, _ = figure_for(true_up, as_of=mark)
    if figure.release > 0:
        sanctions.request_sanction(
            claim_type=TRUE_UP_CLAIM_TYPE, claim_id=true_up.pk, actor=actor, now=now
        )
        return true_up
    _settle(true_up, figure, mark=mark, letter=None, now=now)
    return true_up


def _settle(
    true_up: TrueUp,
    figure: figures.Figure,
    *,
    mark: int,
    letter: SanctionLetter | None,
    now: dt.datetime,
) -> None:
    """Keep the figure of record and close the true-up: sanctioned, recovered or nil."""
    figures.store(
        figure, purpose=SliComputation.Purpose.SANCTION, award=true_up.award,
        rule_set=true_up.rule_set, ledger_mark=mark, computed_at=now, true_up=true_up,
        letter=letter,
    )  # fmt: skip
    if letter is not None:
        if letter.reverses_id is not None:
            return
        transition(
            true_up, T.SANCTIONED, pipeline=PIPELINE, actor=None, now=now, label=_label(true_up),
            extra={"letter_id": letter.pk, "settled_at": now}, audit_new={"letter": letter.number},
        )  # fmt: skip
    elif figure.result.recovery > 0:
        _post_recovery(true_up, figure.result.recovery, now=now)
    else:
        transition(
            true_up, T.NIL, pipeline=PIPELINE, actor=None, now=now, label=_label(true_up),
            extra={"settled_at": now},
        )  # fmt: skip


# --- the claim kind ----------------------------------------------------------------------------


def compute(true_up_id: str) -> sanctions.Computation:
    """The balance, recomputed with the SLI pool's lock held by the issuing job."""
    true_up = TrueUp.objects.select_related("award__tender", "award__bid", "rule_set").get(
        pk=int(true_up_id)
    )
    if true_up.status not in (T.APPROVED, T.SANCTIONED):
        raise ValidationError(
            gettext("%(true_up)s is not approved; it cannot be sanctioned.")
            % {"true_up": _shown(true_up)}
        )
    mark = selectors.ledger_mark()
    figure, scope = figure_for(true_up, as_of=mark)
    result = figure.result
    return sanctions.Computation(
        award=true_up.award,
        rule_set=true_up.rule_set,
        amount=result.released,
        lines=figures.letter_lines(figure),
        subject=(
            f"Annual true-up of the sales-linked incentive for {scope.year.label}, "
            f"{scope.period_start:%d %b %Y} to {scope.period_end:%d %b %Y}"
        ),
        claim_ref=f"true-up:{true_up.pk} ({true_up.financial_year})",
        award_cap=selectors.award_cap(true_up.award, true_up.rule_set),
        deduction=result.deduction_applied,
        extra={"figure": figure, "ledger_mark": mark},
    )


def on_result(
    true_up_id: str, letter: SanctionLetter | None, computation: sanctions.Computation
) -> None:
    true_up = (
        TrueUp.objects.select_for_update(of=("self",))
        .select_related("award", "rule_set")
        .get(pk=int(true_up_id))
    )
    if letter is not None:
        now = letter.created_at
    else:
        request = SanctionRequest.objects.get(key=f"{TRUE_UP_CLAIM_TYPE}:{true_up.pk}")
        now = request.completed_at or clock.now()
    _settle(
        true_up, computation.extra["figure"], mark=computation.extra["ledger_mark"],
        letter=letter, now=now,
    )  # fmt: skip
    if letter is not None and letter.deducted > 0:
        recovery_services.settle_cleared(award=true_up.award, now=now)


def detail_url(true_up_id: str) -> str:
    true_up = TrueUp.objects.get(pk=int(true_up_id))
    return reverse("award_detail", args=[true_up.award_id])


def claim_kind() -> sanctions.ClaimKind:
    return sanctions.ClaimKind(
        code=TRUE_UP_CLAIM_TYPE,
        title="Sales-linked incentive: annual true-up",
        title_hi="बिक्री-आधारित प्रोत्साहन: वार्षिक समायोजन",
        pool=Pool.SLI,
        letter_prefix=LETTER_PREFIX,
        compute=compute,
        on_result=on_result,
        detail_url=detail_url,
    )


__all__ = [
    "PIPELINE",
    "approve_true_up",
    "claim_kind",
    "compute",
    "compute_due_true_ups",
    "compute_true_up",
    "figure_for",
    "on_result",
]
