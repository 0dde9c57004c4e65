"""The sanction pipeline every kind of claim goes through: request -> figure -> ledger -> letter.

A claim app registers a `ClaimKind` (in its AppConfig.ready). Its approval calls `request_sanction`
in the approval's own transaction: that writes a durable `SanctionRequest` and enqueues the Celery
task on commit. The task (`issue`) takes the pool's lock, asks the claim kind for the final figure,
numbers the letter from the gap-free series of the financial year, posts the ledger entry and
writes the letter's content, all in one transaction; then renders the PDF. Running it twice issues
one letter. A correction is a new letter that reverses the old one's entry.

The request's status is its outcome (requested, sanctioned, nothing payable, refused); the work
of issuing and of rendering are `Job`s (`repm_portal.jobs`), with their own attempts and errors.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from beneficiaries.models import User
from bidding.models import Award
from incentives import ledger
from incentives.models import (
    EntryKind,
    LedgerEntry,
    LetterSeries,
    Pool,
    SanctionLetter,
    SanctionRequest,
)
from repm_portal import anchoring, audit, clock, jobs
from repm_portal.documents import render_and_issue
from repm_portal.fiscal import FinancialYear
from repm_portal.models import RuleSet
from repm_portal.money import amount_in_words, format_crore, format_inr, to_money
from repm_portal.pipeline import transition
from repm_portal.roles import READ_ALL_ROLES, AnyUser, Role, has_role, require_role
from repm_portal.text import clean_reason

log = logging.getLogger(__name__)

SANCTIONERS = (Role.APPROVER, Role.OFFICIAL, Role.ADMIN)
ISSUE_TASK = "incentives.tasks.issue_sanction"
RENDER_TASK = SanctionLetter.RENDER_TASK
REQUEST_PIPELINE: dict[str, set[str]] = {
    SanctionRequest.Status.REQUESTED: {
        SanctionRequest.Status.SANCTIONED,
        SanctionRequest.Status.NIL,
        SanctionRequest.Status.REFUSED,
    },
    SanctionRequest.Status.SANCTIONED: set(),
    SanctionRequest.Status.NIL: set(),
    SanctionRequest.Status.REFUSED: set(),
}


@dataclass(frozen=True)
class Line:
    """One line of the computation as the letter prints it."""

    label: str
    value: str
    note: str = ""


@dataclass
class Computation:
    """The final figure of a claim and the working behind it, computed with the pool's lock held."""

    award: Award
    rule_set: RuleSet
    amount: Decimal  # rounded to the paisa; zero means nothing is payable
    lines: list[Line]
    subject: str  # e.g. "Capital subsidy on the investment ledger of 14 Jan 2029"
    claim_ref: str  # the claim's own reference, printed on the letter
    award_cap: Decimal | None = None
    # Penalties and recoveries netted from this sanction's payout (at most `amount`), in paise.
    deduction: Decimal = Decimal("0.00")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimKind:
    code: str  # e.g. "capital_subsidy"; stored as claim_type on requests, letters and entries
    title: str
    title_hi: str
    pool: str
    letter_prefix: str  # e.g. "REPM/CS": the letter is REPM/CS/2028-29/0001
    compute: Callable[[str], Computation]
    # Called in the issuing transaction with the letter (None when nothing is payable) to move the
    # claim on (sanctioned / nil); it must audit what it changes.
    on_result: Callable[[str, SanctionLetter | None, Computation], None]
    detail_url: Callable[[str], str] | None = None
    # Called in the payment's transaction once a letter's payable is paid in full (or, when all
    # of it was netted, at issue by the kind itself), to move the claim on to paid.
    on_paid: Callable[[str, SanctionLetter], None] | None = None


_KINDS: dict[str, ClaimKind] = {}


def register(kind: ClaimKind) -> None:
    _KINDS[kind.code] = kind


def registered(code: str) -> ClaimKind | None:
    return _KINDS.get(code)


def kind_of(code: str) -> ClaimKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"No claim kind {code!r} is registered for sanction.") from None


def request_sanction(
    *, claim_type: str, claim_id: str | int, actor: User, now: dt.datetime | None = None
) -> SanctionRequest:
    """Ask for a claim's sanction letter, in the approval's transaction. A repeat returns the first request."""
    require_role(actor, *SANCTIONERS, action="ask for a sanction")
    kind_of(claim_type)
    key = f"{claim_type}:{claim_id}"
    request, created = SanctionRequest.objects.get_or_create(
        key=key,
        defaults={
            "claim_type": claim_type,
            "claim_id": str(claim_id),
            "requested_by": actor,
            "requested_at": clock.now(now),
        },
    )
    if created:
        audit.record(
            actor=actor,
            action="sanction.requested",
            obj=request,
            new={"key": key, "claim_type": claim_type, "claim_id": str(claim_id)},
        )
        jobs.enqueue_on_commit(ISSUE_TASK, request.pk, key=f"sanction:{key}")
    return request


@transaction.atomic
def request_correction(
    *, letter: SanctionLetter, actor: User, reason: str, now: dt.datetime | None = None
) -> SanctionRequest:
    """Ask for a letter that reverses `letter` and sanctions the claim's figure afresh."""
    require_role(actor, Role.APPROVER, Role.ADMIN, action="correct a sanction letter")
    letter = SanctionLetter.objects.select_for_update().get(pk=letter.pk)
    reason = clean_reason(reason, what="reason the letter is corrected")
    if letter.status != SanctionLetter.Status.ISSUED:
        raise ValidationError(gettext("Only an issued letter can be corrected."))
    if (
        SanctionLetter.objects.filter(reverses=letter).exists()
        or letter.correction_requests.exists()
    ):
        raise ValidationError(
            gettext("Letter %(number)s has already been corrected.") % {"number": letter.number}
        )
    if letter.payments.exists():
        raise ValidationError(
            gettext(
                "Letter %(number)s has payments against it; recover the excess instead of "
                "correcting it."
            )
            % {"number": letter.number}
        )
    n = SanctionRequest.objects.filter(
        claim_type=letter.claim_type, claim_id=letter.claim_id
    ).count()
    request = SanctionRequest.objects.create(
        key=f"{letter.claim_type}:{letter.claim_id}:correction:{n}",
        claim_type=letter.claim_type,
        claim_id=letter.claim_id,
        corrects=letter,
        reason=reason,
        requested_by=actor,
        requested_at=clock.now(now),
    )
    audit.record(
        actor=actor,
        action="sanction.correction_requested",
        obj=request,
        new={"key": request.key, "corrects": letter.number, "reason": request.reason},
    )
    jobs.enqueue_on_commit(ISSUE_TASK, request.pk, key=f"sanction:{request.key}")
    return request


def _next_number(prefix: str, year: FinancialYear) -> tuple[LetterSeries, int, str]:
    """Take the next serial of the year's series with its row locked: a rollback leaves no gap."""
    label = f"{year.start_year}-{(year.start_year + 1) % 100:02d}"
    series, _ = LetterSeries.objects.get_or_create(prefix=prefix, financial_year=label)
    series = LetterSeries.objects.select_for_update().get(pk=series.pk)
    series.last_serial += 1
    series.save(update_fields=["last_serial"])
    return series, series.last_serial, f"{prefix}/{label}/{series.last_serial:04d}"


def _bank_account(award: Award) -> dict[str, str]:
    from beneficiaries.bank_accounts import payout_account

    # Only an account a second person verified is ever paid; none verified, none printed.
    account = payout_account(award.bid.firm)
    if account is None:
        return {}
    return {
        "holder": account.account_holder,
        "bank": account.bank_name,
        "branch": account.branch,
        "number": account.account_number,
        "ifsc": account.ifsc,
    }


def _content(
    *,
    kind: ClaimKind,
    computation: Computation,
    number: str,
    dated: dt.date,
    request: SanctionRequest,
    corrects: SanctionLetter | None,
    net: Decimal,
) -> dict[str, Any]:
    award = computation.award
    firm = award.bid.firm
    return {
        "number": number,
        "dated": dated.isoformat(),
        "title": kind.title,
        "title_hi": kind.title_hi,
        "subject": computation.subject,
        "claim_ref": computation.claim_ref,
        "beneficiary": {
            "name": award.bid.bidder_name,
            "firm": firm.legal_name,
            "address": getattr(firm, "registered_address", ""),
            "pan": getattr(firm, "pan", ""),
        },
        "bank_account": _bank_account(award),
        "award": {
            "tender": award.tender.reference,
            "label": award.label,
            "allocated_mtpa": award.allocated_mtpa,
            "quoted_rate": str(award.quoted_rate),
        },
        "rule_set_version": computation.rule_set.version,
        "rule_set_notification": computation.rule_set.notification,
        "lines": [vars(line) for line in computation.lines],
        "amount": str(computation.amount),
        "amount_inr": format_inr(computation.amount),
        "amount_crore": format_crore(computation.amount),
        "amount_words": amount_in_words(computation.amount),
        "deducted": str(computation.deduction),
        "deducted_inr": format_inr(computation.deduction),
        "payable": str(computation.amount - computation.deduction),
        "payable_inr": format_inr(computation.amount - computation.deduction),
        "payable_words": amount_in_words(computation.amount - computation.deduction),
        "pool": kind.pool,
        "pool_label": Pool(kind.pool).label,
        "corrects": (
            {
                "number": corrects.number,
                "amount": str(corrects.amount),
                "amount_inr": format_inr(corrects.amount),
                "reason": request.reason,
            }
            if corrects
            else None
        ),
        "net_change": str(net),
        "net_change_inr": format_inr(net),
        "signatory": {
            "name": request.requested_by.get_full_name() or request.requested_by.username,
            "designation": request.requested_by.get_role_display(),
        },
    }


def issue(request_id: int, *, now: dt.datetime | None = None) -> SanctionLetter | None:
    """Sanction one request: idempotent, so a retry or a second run issues one letter.

    A request the ledger refuses (a pool or cap would be passed) is marked refused with the
    reason, and the refusal is raised; running it again changes nothing. The letter's PDF is
    rendered at once through its own job, which retries on its own if rendering fails.
    """
    try:
        letter = _sanction(request_id, now=now)
    except ledger.LimitExceeded as exc:
        with transaction.atomic():
            request = SanctionRequest.objects.select_for_update().get(pk=request_id)
            transition(
                request, SanctionRequest.Status.REFUSED, pipeline=REQUEST_PIPELINE, actor=None,
                now=clock.now(now), label=f"Sanction request {request.key}",
                extra={"refusal": " ".join(exc.messages)[:2000], "completed_at": clock.now(now)},
                action="sanction.refused",
            )  # fmt: skip
        raise
    if letter is not None and letter.status != SanctionLetter.Status.ISSUED:
        jobs.run(RENDER_TASK, letter.pk, lambda run: render(letter.pk, now=now))
        letter.refresh_from_db()
    return letter


@transaction.atomic
def _sanction(request_id: int, *, now: dt.datetime | None) -> SanctionLetter | None:
    now = clock.now(now)
    request = SanctionRequest.objects.select_for_update().get(pk=request_id)
    if request.status == SanctionRequest.Status.SANCTIONED:
        return request.letter
    if request.status in (SanctionRequest.Status.NIL, SanctionRequest.Status.REFUSED):
        return None
    kind = kind_of(request.claim_type)
    ledger.lock_pool(kind.pool)
    corrects = request.corrects
    old_entry = None
    if corrects is not None:
        old_entry = LedgerEntry.objects.filter(letter=corrects, kind=EntryKind.SANCTION).first()
    computation = kind.compute(request.claim_id)
    amount = to_money(computation.amount)
    deduction = to_money(computation.deduction)
    if amount < 0:
        raise ValueError(f"{kind.code} computed a negative sanction for {request.claim_id}.")
    if not 0 <= deduction <= amount:
        raise ValueError(f"{kind.code} netted {deduction} from a sanction of {amount}.")
    if amount == 0 and corrects is None:
        transition(
            request, SanctionRequest.Status.NIL, pipeline=REQUEST_PIPELINE, actor=None, now=now,
            label=f"Sanction request {request.key}", extra={"completed_at": now},
            action="sanction.nil", audit_new={"lines": [vars(line) for line in computation.lines]},
        )  # fmt: skip
        kind.on_result(request.claim_id, None, computation)
        return None
    dated = timezone.localdate(now)
    year = FinancialYear.for_date(dated)
    series, serial, number = _next_number(kind.letter_prefix, year)
    net = amount - (corrects.amount if corrects else Decimal("0"))
    letter = SanctionLetter.objects.create(
        request=request,
        series=series,
        serial=serial,
        number=number,
        financial_year=series.financial_year,
        dated=dated,
        claim_type=request.claim_type,
        claim_id=request.claim_id,
        award=computation.award,
        pool=kind.pool,
        rule_set=computation.rule_set,
        amount=amount,
        reverses=corrects,
        deducted=deduction,
        content=_content(
            kind=kind,
            computation=computation,
            number=number,
            dated=dated,
            request=request,
            corrects=corrects,
            net=net,
        ),
        signatory=request.requested_by,
        created_at=now,
    )
    if corrects is not None and old_entry is not None:
        ledger.reverse(
            old_entry,
            source_key=f"letter:{number}:reverses:{corrects.number}",
            reason=f"corrected by sanction letter {number}: {request.reason}",
            letter=letter,
            document_ref=f"Sanction letter {number}",
            now=now,
        )
    if amount > 0:
        ledger.post(
            kind=EntryKind.SANCTION,
            pool=kind.pool,
            award=computation.award,
            amount=amount,
            source_key=f"sanction:{request.key}",
            rule_set=computation.rule_set,
            document_ref=f"Sanction letter {number}",
            narration=f"{kind.title}: {computation.subject}",
            now=now,
            claim_type=request.claim_type,
            claim_id=request.claim_id,
            letter=letter,
            award_cap=computation.award_cap,
        )
    if deduction > 0:
        ledger.net(
            award=computation.award,
            amount=deduction,
            source_key=f"netting:{request.key}",
            rule_set=computation.rule_set,
            pool=kind.pool,
            letter=letter,
            document_ref=f"Sanction letter {number}",
            narration=f"Deductions netted from {kind.title.lower()} letter {number}",
            now=now,
            claim_type=request.claim_type,
            claim_id=request.claim_id,
        )
    transition(
        request, SanctionRequest.Status.SANCTIONED, pipeline=REQUEST_PIPELINE, actor=None, now=now,
        label=f"Sanction request {request.key}", extra={"completed_at": now},
        action="sanction.sanctioned", audit_new={"letter": number},
    )  # fmt: skip
    jobs.enqueue_on_commit(RENDER_TASK, letter.pk, key=f"render:sanction-letter:{number}")
    kind.on_result(request.claim_id, letter, computation)
    audit.record(
        actor=None,
        action="sanction.letter_numbered",
        obj=letter,
        new={
            "number": number,
            "amount": amount,
            "award_id": computation.award.pk,
            "rule_set": computation.rule_set.version,
            "corrects": corrects.number if corrects else None,
        },
    )
    anchoring.enqueue("sanction", letter.pk)
    return letter


def render(letter_id: int, *, now: dt.datetime | None = None) -> SanctionLetter:
    """Render a numbered letter's PDF once from its stored content; an issued letter is never re-rendered.

    The PDF is rendered outside any transaction; a rendering error propagates to the letter's
    job, which tries again.
    """
    return render_and_issue(
        SanctionLetter,
        letter_id,
        template="incentives/pdf/sanction_letter.html",
        context=letter_context,
        filename=lambda letter, digest: letter.number.replace("/", "-") + ".pdf",
        label=lambda letter: f"Sanction letter {letter.number}",
        action="sanction.letter_issued",
        now=now,
    )


def verification_url(letter: SanctionLetter) -> str:
    from django.conf import settings
    from django.urls import reverse

    base = settings.SITE_URL.rstrip("/")
    return base + reverse("letter_verify", args=[letter.verify_token])


def letter_context(letter: SanctionLetter) -> dict[str, Any]:
    import base64
    import io

    import qrcode

    url = verification_url(letter)
    # A PNG (drawn unsmoothed, `image-rendering: pixelated`): one image in the PDF, whose box a
    # check of the layout can find, where an SVG would be hundreds of loose paths.
    image = qrcode.make(url, box_size=4, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    qr = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"letter": letter, "c": letter.content, "qr": qr, "verify_url": url}


def check_can_view(user: AnyUser, letter: SanctionLetter) -> None:
    if has_role(user, *READ_ALL_ROLES):
        return
    if (
        has_role(user, Role.FIRM_USER)
        and user.firm_id
        and (
            user.firm_id == letter.award.bid.firm_id
            or letter.award.bid.participants.filter(firm_id=user.firm_id).exists()
        )
    ):
        return  # the lead, or a member of its consortium (who share the award)
    raise PermissionDenied("This letter is not yours to see.")


__all__ = [
    "ClaimKind",
    "Computation",
    "Line",
    "check_can_view",
    "issue",
    "kind_of",
    "letter_context",
    "register",
    "render",
    "request_correction",
    "request_sanction",
    "verification_url",
]
