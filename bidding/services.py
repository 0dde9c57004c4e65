"""Every write of the bidding phase: one function per use case, all-or-nothing, audited.

Rules that protect the tender live here and nowhere else: the server's clock against the
timeline, the rule set's bounds, the opening quorum, the order of the openings and the
four-eyes evaluation. Each function takes `now` (default: the clock, read after the locks are
taken) so the demo can replay a tender in the past through the very same checks.

No quoted rate is ever put in an error message, an audit row or a log line before the
financial opening: the rate exists only inside the sealed financial cover until then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from beneficiaries.models import Consortium, Firm, User
from bidding import engine, sealing
from bidding.models import (
    TIMELINE_FIELDS,
    TIMELINE_LABELS,
    Award,
    AwardLetter,
    Bid,
    BidDocument,
    BidParticipant,
    BidRanking,
    BidVersion,
    CommitteeMember,
    CoverOpening,
    Criterion,
    CriterionResult,
    OpenedCover,
    OpeningConfirmation,
    PbgExtension,
    PbgReminder,
    PerformanceBankGuarantee,
    PreBidQuery,
    Stage,
    TechnicalEvaluation,
    Tender,
    TenderAllocation,
    TenderDocument,
    TenderKey,
    TenderVersion,
)
from repm_portal import audit
from repm_portal.fiscal import add_months
from repm_portal.models import RuleSet
from repm_portal.money import format_crore, format_indian_number, format_inr, to_money
from repm_portal.pipeline import transition
from repm_portal.roles import Role, has_role, require_role
from repm_portal.selectors import rule_set_in_force

logger = logging.getLogger(__name__)

TENDER_MANAGERS = (Role.OFFICIAL, Role.ADMIN)
COMMITTEE_ROLES = (Role.OFFICIAL, Role.EVALUATOR, Role.APPROVER, Role.ADMIN)
EVALUATION_APPROVERS = (Role.EVALUATOR, Role.OFFICIAL, Role.APPROVER)
PBG_REMINDER_DAYS = (90, 30, 7)
LETTER_MAX_ATTEMPTS = 3

# Uploads: the type is read from the file's first bytes, never from the name or the browser.
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
MB = 1024 * 1024
RFP_TYPES, RFP_MAX_BYTES = (PDF,), 50 * MB
DPR_TYPES, DPR_MAX_BYTES = (PDF,), 50 * MB
ELIGIBILITY_TYPES, ELIGIBILITY_MAX_BYTES = (PDF, PNG, JPEG), 20 * MB

TENDER_PIPELINE: dict[str, set[str]] = {
    Tender.Status.DRAFT: {Tender.Status.PUBLISHED, Tender.Status.CANCELLED},
    Tender.Status.PUBLISHED: {Tender.Status.TECHNICAL_OPENED, Tender.Status.CANCELLED},
    Tender.Status.TECHNICAL_OPENED: {Tender.Status.TECHNICAL_EVALUATED},
    Tender.Status.TECHNICAL_EVALUATED: {Tender.Status.FINANCIAL_OPENED},
    Tender.Status.FINANCIAL_OPENED: {Tender.Status.AWARDED},
    Tender.Status.AWARDED: set(),
    Tender.Status.CANCELLED: set(),
}
PBG_PIPELINE: dict[str, set[str]] = {
    PerformanceBankGuarantee.Status.ACTIVE: {
        PerformanceBankGuarantee.Status.SUPERSEDED,
        PerformanceBankGuarantee.Status.RELEASED,
        PerformanceBankGuarantee.Status.INVOKED,
    },
    PerformanceBankGuarantee.Status.SUPERSEDED: set(),
    PerformanceBankGuarantee.Status.RELEASED: set(),
    PerformanceBankGuarantee.Status.INVOKED: set(),
}
BID_PIPELINE: dict[str, set[str]] = {
    Bid.Status.SUBMITTED: {
        Bid.Status.WITHDRAWN,
        Bid.Status.QUALIFIED,
        Bid.Status.DISQUALIFIED,
        Bid.Status.EXCLUDED,
    },
    Bid.Status.QUALIFIED: {Bid.Status.AWARDED, Bid.Status.WAITLISTED, Bid.Status.EXCLUDED},
    Bid.Status.WITHDRAWN: set(),
    Bid.Status.DISQUALIFIED: set(),
    Bid.Status.EXCLUDED: set(),
    Bid.Status.AWARDED: set(),
    Bid.Status.WAITLISTED: set(),
}


# Small helpers


def _clock(now: dt.datetime | None) -> dt.datetime:
    moment = now or timezone.now()
    if timezone.is_naive(moment):
        raise ValueError("`now` must be an aware datetime")
    return moment


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M:%S %Z")


def _mtpa(value: int) -> str:
    return f"{format_indian_number(value)} MTPA"


def _lock_tender(tender: Tender | int) -> Tender:
    pk = tender.pk if isinstance(tender, Tender) else tender
    # of=("self",): lock the tender only, never the shared rule-set row it joins.
    return Tender.objects.select_for_update(of=("self",)).select_related("rule_set").get(pk=pk)


def _transition_tender(
    tender: Tender, to: str, *, actor, now: dt.datetime, extra: dict | None = None, reason: str = ""
) -> None:
    transition(
        tender, to, pipeline=TENDER_PIPELINE, actor=actor, now=now,
        label=f"Tender {tender.reference}", extra=extra, reason=reason,
    )  # fmt: skip


def _transition_bid(bid: Bid, to: str, *, actor, now: dt.datetime, reason: str = "") -> None:
    transition(
        bid, to, pipeline=BID_PIPELINE, actor=actor, now=now, label=f"Bid {bid.pk}", reason=reason
    )


def _enqueue(task_name: str, *args: Any) -> None:
    """Send a task once the transaction commits; if the broker is down, the periodic sweep catches up."""

    def send() -> None:
        from bidding import tasks

        try:
            getattr(tasks, task_name).delay(*args)
        except Exception:  # the broker may be unreachable; the work is still recorded
            logger.exception(
                "Could not enqueue %s%r; the periodic sweep will retry", task_name, args
            )

    transaction.on_commit(send)


def _add_error(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def checked_upload(upload, *, allowed: Sequence[str], max_bytes: int, what: str) -> dict[str, Any]:
    """Type (from the first bytes), size and SHA-256 of an upload; raises a clear ValidationError."""
    if upload is None:
        raise ValidationError(f"Attach the {what}.")
    size = upload.size if upload.size is not None else 0
    if size == 0:
        raise ValidationError(f"The {what} is empty.")
    if size > max_bytes:
        raise ValidationError(
            f"The {what} is {size / MB:.1f} MB; at most {max_bytes // MB} MB is accepted."
        )
    upload.seek(0)
    head = upload.read(16)
    content_type = next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
    if content_type not in allowed:
        names = ", ".join(k.split("/")[1].upper() for k in allowed)
        raise ValidationError(f"The {what} must be a {names} file; this one is not.")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {
        "content_type": content_type,
        "size": size,
        "sha256": digest.hexdigest(),
        "original_name": (getattr(upload, "name", "") or what).rsplit("/", 1)[-1][:300],
    }


# Tenders


def validate_timeline(
    values: dict[str, dt.datetime],
    *,
    now: dt.datetime,
    errors: dict[str, list[str]],
    first_in_future: bool = True,
) -> None:
    """Every date given, aware, in order; the first after `now` unless it may already be past."""
    for name in TIMELINE_FIELDS:
        value = values.get(name)
        if value is None:
            _add_error(errors, name, "Give this date and time.")
        elif timezone.is_naive(value):
            _add_error(errors, name, "The time must carry its time zone.")
    if any(name in errors for name in TIMELINE_FIELDS):
        return
    first = TIMELINE_FIELDS[0]
    if first_in_future and values[first] <= now:
        _add_error(errors, first, f"The first date must be after now ({_when(now)}).")
    for earlier, later in itertools.pairwise(TIMELINE_FIELDS):
        before, after = values[earlier], values[later]
        strict = later == "financial_opening_at"
        if after < before or (strict and after == before):
            _add_error(
                errors,
                later,
                f"{TIMELINE_LABELS[later]} must come after {TIMELINE_LABELS[earlier].lower()} "
                f"({_when(before)}).",
            )


def _validate_offer(
    *,
    rules: RuleSet,
    kind: str,
    parent: Tender | None,
    capacity_mtpa: int,
    slots: int,
    oxide_mtpa: Decimal,
    errors: dict[str, list[str]],
) -> None:
    step, minimum = rules.capacity_step_mtpa, rules.min_capacity_mtpa
    if capacity_mtpa < minimum or capacity_mtpa % step:
        _add_error(
            errors,
            "capacity_mtpa",
            f"Capacity on offer must be at least {_mtpa(minimum)} and a multiple of {_mtpa(step)}.",
        )
    if capacity_mtpa > rules.target_capacity_mtpa:
        _add_error(
            errors,
            "capacity_mtpa",
            f"Capacity on offer cannot exceed the scheme's target of {_mtpa(rules.target_capacity_mtpa)}.",
        )
    if not 1 <= slots <= rules.max_beneficiaries:
        _add_error(
            errors,
            "slots",
            f"Slots must be 1 to {rules.max_beneficiaries} (rule set v{rules.version}).",
        )
    if oxide_mtpa < 0 or oxide_mtpa > rules.irel_oxide_mtpa:
        _add_error(
            errors,
            "oxide_mtpa",
            f"Oxide on offer must be 0 to {rules.irel_oxide_mtpa} MTPA (rule set v{rules.version}).",
        )
    if kind == Tender.Kind.RETENDER:
        if parent is None:
            _add_error(errors, "parent", "A re-tender names the tender whose capacity it offers.")
        elif parent.status != Tender.Status.AWARDED:
            _add_error(
                errors, "parent", "Only the capacity of an awarded tender can be re-tendered."
            )
        elif capacity_mtpa > parent.capacity_mtpa:
            _add_error(
                errors,
                "capacity_mtpa",
                f"A re-tender cannot offer more than its tender's {_mtpa(parent.capacity_mtpa)}.",
            )
    elif parent is not None:
        _add_error(errors, "parent", "Only a re-tender names a parent tender.")


def _validate_committee(members: Sequence[User], quorum: int, errors: dict[str, list[str]]) -> None:
    distinct = {m.pk for m in members}
    if len(distinct) < quorum:
        _add_error(
            errors,
            "committee",
            f"The bid-opening committee needs at least {quorum} different members.",
        )
    for member in members:
        if not has_role(member, *COMMITTEE_ROLES):
            _add_error(
                errors,
                "committee",
                f"{member.get_username()} cannot sit on a bid-opening committee "
                "(ministry officials, evaluators, approvers and administrators can).",
            )


def _store_tender_document(
    *, tender: Tender, title: str, upload, meta: dict, actor, now, version=None, supersedes=None
) -> TenderDocument:
    document = TenderDocument(
        tender=tender,
        version=version,
        supersedes=supersedes,
        title=title.strip(),
        uploaded_by=actor,
        uploaded_at=now,
        **meta,
    )
    upload.seek(0)
    document.file.save(meta["original_name"], upload, save=False)
    document.save()
    return document


@transaction.atomic
def create_tender(
    *,
    actor,
    reference: str,
    title: str,
    description: str = "",
    kind: str = Tender.Kind.MAIN,
    parent: Tender | None = None,
    capacity_mtpa: int,
    slots: int,
    oxide_mtpa: Decimal | None = None,
    timeline: dict[str, dt.datetime],
    prebid_meeting_place: str = "",
    committee: Sequence[User],
    documents: Iterable[tuple[str, Any]] = (),
    rule_set: RuleSet | None = None,
    opening_quorum: int = 2,
    now: dt.datetime | None = None,
) -> Tender:
    """An official drafts a tender with its offer, timeline, committee and RFP documents."""
    require_role(actor, *TENDER_MANAGERS, action="create a tender")
    now = _clock(now)
    rules = rule_set or rule_set_in_force(on=timezone.localdate(now))
    errors: dict[str, list[str]] = {}
    reference, title = reference.strip(), title.strip()
    if not reference:
        _add_error(errors, "reference", "Give the tender's reference number.")
    elif Tender.objects.filter(reference__iexact=reference).exists():
        _add_error(errors, "reference", "A tender with this reference exists.")
    if not title:
        _add_error(errors, "title", "Give the tender a title.")
    if kind not in Tender.Kind.values:
        _add_error(errors, "kind", f"Unknown kind '{kind}'.")
    if oxide_mtpa is None:
        oxide_mtpa = rules.irel_oxide_mtpa if kind == Tender.Kind.MAIN else Decimal(0)
    _validate_offer(
        rules=rules, kind=kind, parent=parent, capacity_mtpa=capacity_mtpa, slots=slots,
        oxide_mtpa=oxide_mtpa, errors=errors,
    )  # fmt: skip
    if opening_quorum < 2:
        _add_error(errors, "committee", "An opening needs at least two members to confirm it.")
    _validate_committee(committee, opening_quorum, errors)
    validate_timeline(timeline, now=now, errors=errors)
    checked_docs = []
    for index, (doc_title, upload) in enumerate(documents):
        try:
            meta = checked_upload(
                upload, allowed=RFP_TYPES, max_bytes=RFP_MAX_BYTES, what="RFP document"
            )
        except ValidationError as exc:
            _add_error(errors, "documents", f"Document {index + 1}: {exc.messages[0]}")
            continue
        checked_docs.append((doc_title or meta["original_name"], upload, meta))
    if errors:
        raise ValidationError(errors)

    tender = Tender.objects.create(
        reference=reference,
        title=title,
        description=description.strip(),
        kind=kind,
        parent=parent,
        rule_set=rules,
        capacity_mtpa=capacity_mtpa,
        slots=slots,
        oxide_mtpa=oxide_mtpa,
        opening_quorum=opening_quorum,
        prebid_meeting_place=prebid_meeting_place.strip(),
        created_by=actor,
        created_at=now,
        **{name: timeline[name] for name in TIMELINE_FIELDS},
    )
    CommitteeMember.objects.bulk_create(
        CommitteeMember(tender=tender, user=m) for m in {m.pk: m for m in committee}.values()
    )
    TenderKey.objects.create(
        tender=tender,
        wrapped_key=sealing.new_wrapped_key(tender.reference),
        master_key_id=sealing.master_key_id(),
        created_at=now,
    )
    stored = [
        _store_tender_document(tender=tender, title=t, upload=u, meta=m, actor=actor, now=now)
        for t, u, m in checked_docs
    ]
    audit.record(
        actor=actor,
        action="tender.created",
        obj=tender,
        new={
            **audit.snapshot(
                tender,
                [
                    "reference",
                    "title",
                    "kind",
                    "parent_id",
                    "rule_set_id",
                    "capacity_mtpa",
                    "slots",
                    "oxide_mtpa",
                    "opening_quorum",
                    *TIMELINE_FIELDS,
                ],
            ),
            "committee": sorted(m.get_username() for m in committee),
            "documents": [{"title": d.title, "sha256": d.sha256} for d in stored],
        },
    )
    return tender


@transaction.atomic
def add_tender_document(
    *, actor, tender: Tender, title: str, upload, now: dt.datetime | None = None
) -> TenderDocument:
    """Attach an RFP document to a draft; once published, documents change by corrigendum only."""
    require_role(actor, *TENDER_MANAGERS, action="attach tender documents")
    tender = _lock_tender(tender)
    now = _clock(now)
    if tender.status != Tender.Status.DRAFT:
        raise ValidationError(
            "The tender is published: issue a corrigendum to add or revise documents."
        )
    meta = checked_upload(upload, allowed=RFP_TYPES, max_bytes=RFP_MAX_BYTES, what="RFP document")
    document = _store_tender_document(
        tender=tender, title=title or meta["original_name"], upload=upload, meta=meta,
        actor=actor, now=now,
    )  # fmt: skip
    audit.record(
        actor=actor,
        action="tender.document_added",
        obj=document,
        new={"tender": tender.reference, "title": document.title, "sha256": document.sha256},
    )
    return document


def _version_timeline(tender: Tender) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(tender, name) for name in TIMELINE_FIELDS}
    values["prebid_meeting_place"] = tender.prebid_meeting_place
    return values


@transaction.atomic
def publish_tender(*, actor, tender: Tender, now: dt.datetime | None = None) -> TenderVersion:
    """Publish a draft: its timeline becomes version 1 and registered firms are told."""
    require_role(actor, *TENDER_MANAGERS, action="publish a tender")
    tender = _lock_tender(tender)
    now = _clock(now)
    if tender.status != Tender.Status.DRAFT:
        raise ValidationError(
            f"Tender {tender.reference} is already {tender.get_status_display().lower()}."
        )
    if not tender.documents.exists():
        raise ValidationError("Attach at least one RFP document before publishing.")
    if tender.queries_due <= now:
        raise ValidationError(
            f"The pre-bid query deadline ({_when(tender.queries_due)}) has passed; "
            "move the dates before publishing."
        )
    _transition_tender(
        tender, Tender.Status.PUBLISHED, actor=actor, now=now, extra={"published_at": now}
    )
    version = TenderVersion.objects.create(
        tender=tender,
        number=1,
        issued_at=now,
        issued_by=actor,
        summary="Tender published.",
        **_version_timeline(tender),
    )
    _enqueue("notify_firms_of_tender_version", version.pk)
    return version


@transaction.atomic
def issue_corrigendum(
    *,
    actor,
    tender: Tender,
    summary: str,
    timeline: dict[str, dt.datetime] | None = None,
    prebid_meeting_place: str | None = None,
    documents: Iterable[tuple[str, Any, TenderDocument | None]] = (),
    now: dt.datetime | None = None,
) -> TenderVersion:
    """Change dates or documents of a published tender; the old version stays, firms are told.

    A date may move only while both its old and its new value lie in the future.
    `documents` are (title, upload, the document it revises or None).
    """
    require_role(actor, *TENDER_MANAGERS, action="issue a corrigendum")
    tender = _lock_tender(tender)
    now = _clock(now)
    if tender.status != Tender.Status.PUBLISHED:
        raise ValidationError(
            f"Tender {tender.reference} is {tender.get_status_display().lower()}: "
            "corrigenda are issued only while it is published and unopened."
        )
    errors: dict[str, list[str]] = {}
    if not summary.strip():
        _add_error(errors, "summary", "Say what the corrigendum changes and why.")
    proposed = {name: getattr(tender, name) for name in TIMELINE_FIELDS}
    changes: dict[str, dict[str, Any]] = {}
    for name, value in (timeline or {}).items():
        if name not in TIMELINE_FIELDS:
            _add_error(errors, "timeline", f"'{name}' is not a date of the tender.")
            continue
        old = getattr(tender, name)
        if value == old:
            continue
        if old <= now:
            _add_error(
                errors, name, f"{TIMELINE_LABELS[name]} ({_when(old)}) has passed; it cannot move."
            )
        elif value <= now:
            _add_error(errors, name, f"{TIMELINE_LABELS[name]} must move to a time after now.")
        proposed[name] = value
        changes[name] = {"old": old, "new": value}
    if changes:
        # Dates already past stay where they are; the whole line must still be in order.
        validate_timeline(proposed, now=now, errors=errors, first_in_future=False)
    place_changed = (
        prebid_meeting_place is not None
        and prebid_meeting_place.strip() != tender.prebid_meeting_place
    )
    if place_changed:
        changes["prebid_meeting_place"] = {
            "old": tender.prebid_meeting_place,
            "new": prebid_meeting_place.strip(),
        }
    checked_docs = []
    for index, (doc_title, upload, supersedes) in enumerate(documents):
        try:
            meta = checked_upload(
                upload, allowed=RFP_TYPES, max_bytes=RFP_MAX_BYTES, what="RFP document"
            )
        except ValidationError as exc:
            _add_error(errors, "documents", f"Document {index + 1}: {exc.messages[0]}")
            continue
        if supersedes is not None:
            if supersedes.tender_id != tender.pk:
                _add_error(errors, "documents", "A revision must revise this tender's document.")
                continue
            if TenderDocument.objects.filter(supersedes=supersedes).exists():
                _add_error(
                    errors,
                    "documents",
                    f"'{supersedes.title}' was already revised; revise its latest version.",
                )
                continue
        checked_docs.append((doc_title or meta["original_name"], upload, meta, supersedes))
    if not changes and not checked_docs and not errors:
        _add_error(errors, "summary", "A corrigendum must change a date, the venue or a document.")
    if errors:
        raise ValidationError(errors)

    for name in TIMELINE_FIELDS:
        setattr(tender, name, proposed[name])
    if place_changed:
        tender.prebid_meeting_place = prebid_meeting_place.strip()
    tender.save(update_fields=[*TIMELINE_FIELDS, "prebid_meeting_place"])
    number = (tender.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = TenderVersion.objects.create(
        tender=tender,
        number=number,
        issued_at=now,
        issued_by=actor,
        summary=summary.strip(),
        changes=audit.to_json(changes),
        **_version_timeline(tender),
    )
    stored = [
        _store_tender_document(
            tender=tender, title=t, upload=u, meta=m, actor=actor, now=now, version=version,
            supersedes=s,
        )
        for t, u, m, s in checked_docs
    ]  # fmt: skip
    audit.record(
        actor=actor,
        action="tender.corrigendum_issued",
        obj=version,
        old={k: v["old"] for k, v in changes.items()},
        new={
            **{k: v["new"] for k, v in changes.items()},
            "number": number - 1,
            "summary": version.summary,
            "documents": [
                {"title": d.title, "sha256": d.sha256, "supersedes": d.supersedes_id}
                for d in stored
            ],
        },
    )
    _enqueue("notify_firms_of_tender_version", version.pk)
    return version


@transaction.atomic
def cancel_tender(*, actor, tender: Tender, reason: str, now: dt.datetime | None = None) -> Tender:
    require_role(actor, *TENDER_MANAGERS, action="cancel a tender")
    tender = _lock_tender(tender)
    now = _clock(now)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for cancelling."})
    _transition_tender(tender, Tender.Status.CANCELLED, actor=actor, now=now, reason=reason.strip())
    return tender


def notify_firms_of_tender_version(*, version_id: int) -> int:
    """E-mail every active firm user about a publication or corrigendum; returns messages sent."""
    from django.conf import settings
    from django.core.mail import send_mass_mail
    from django.template.loader import render_to_string

    version = (
        TenderVersion.objects.select_related("tender")
        .prefetch_related("documents")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        return 0
    recipients = list(
        User.objects.filter(role=Role.FIRM_USER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    subject = (
        f"[REPM] Corrigendum {version.number - 1} to {version.tender.reference}"
        if version.is_corrigendum
        else f"[REPM] Tender published: {version.tender.reference}"
    )
    body = render_to_string(
        "bidding/email/tender_version.txt",
        {"version": version, "tender": version.tender, "site_url": settings.SITE_URL},
    )
    messages = [(subject, body, None, [email]) for email in recipients]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


# Pre-bid queries


@transaction.atomic
def ask_query(
    *, actor, tender: Tender, question: str, now: dt.datetime | None = None
) -> PreBidQuery:
    """A firm asks before the query deadline; other firms and the public never learn who asked."""
    require_role(actor, Role.FIRM_USER, action="ask a pre-bid query")
    tender = _lock_tender(tender)
    now = _clock(now)
    if tender.status != Tender.Status.PUBLISHED:
        raise ValidationError("Queries are taken only on a published tender.")
    if now > tender.queries_due:
        raise ValidationError(
            f"Pre-bid queries closed at {_when(tender.queries_due)}; it is now {_when(now)}."
        )
    if not question.strip():
        raise ValidationError({"question": "Write the question."})
    query = PreBidQuery.objects.create(
        tender=tender,
        firm_id=actor.firm_id,
        asked_by=actor,
        asked_at=now,
        question=question.strip(),
    )
    audit.record(
        actor=actor,
        action="query.asked",
        obj=query,
        new={"tender": tender.reference, "question": query.question},
    )
    return query


@transaction.atomic
def answer_query(
    *, actor, query: PreBidQuery, answer: str, now: dt.datetime | None = None
) -> PreBidQuery:
    """An official publishes the answer to all bidders; an answer once published stands."""
    require_role(actor, *TENDER_MANAGERS, action="answer pre-bid queries")
    tender = _lock_tender(query.tender_id)
    query = PreBidQuery.objects.select_for_update().get(pk=query.pk)
    now = _clock(now)
    if query.answered_at is not None:
        raise ValidationError(
            "This query is already answered; issue a corrigendum to change the answer."
        )
    if now >= tender.bids_due:
        raise ValidationError(
            f"Bids were due at {_when(tender.bids_due)}; queries can no longer be answered."
        )
    if not answer.strip():
        raise ValidationError({"answer": "Write the answer."})
    query.answer, query.answered_by, query.answered_at = answer.strip(), actor, now
    query.save(update_fields=["answer", "answered_by", "answered_at"])
    audit.record(
        actor=actor,
        action="query.answered",
        obj=query,
        old={"answer": ""},
        new={"answer": query.answer},
    )
    return query


# Bids


def parse_rate(value: Any) -> Decimal:
    """A rate as a Decimal of at most two decimals; the error never repeats what was typed."""
    if isinstance(value, float | bool):
        raise ValidationError(
            {"quoted_rate": "Give the rate as a decimal number of rupees per kg."}
        )
    try:
        rate = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {"quoted_rate": "The quoted rate must be a number of rupees per kg."}
        ) from None
    if not rate.is_finite():
        raise ValidationError({"quoted_rate": "The quoted rate must be a number of rupees per kg."})
    if rate != rate.quantize(Decimal("0.01")):
        raise ValidationError(
            {"quoted_rate": "Quote the rate in rupees and paise (at most two decimals)."}
        )
    return rate


def validate_quoted_rate(rate: Decimal, rules: RuleSet, errors: dict[str, list[str]]) -> None:
    ceiling = rules.sli_ceiling_rate
    if not Decimal(0) < rate <= ceiling:
        _add_error(
            errors,
            "quoted_rate",
            f"The quoted rate must be above zero and at most the ceiling of "
            f"{format_inr(ceiling)}/kg (rule set v{rules.version}).",
        )


def validate_capacity(capacity: int, rules: RuleSet, errors: dict[str, list[str]]) -> None:
    low, high, step = rules.min_capacity_mtpa, rules.max_capacity_mtpa, rules.capacity_step_mtpa
    if not low <= capacity <= high or capacity % step:
        _add_error(
            errors,
            "capacity_mtpa",
            f"Bid capacity must be {_mtpa(low)} to {_mtpa(high)} in steps of {_mtpa(step)} "
            f"(rule set v{rules.version}); {_mtpa(capacity)} is not.",
        )


def validate_net_worth(
    net_worth: Decimal, capacity: int, rules: RuleSet, errors: dict[str, list[str]]
) -> None:
    try:
        slab = rules.slab_for_capacity(capacity)
    except ValueError:
        return  # the capacity error says it all
    if net_worth < slab.min_net_worth:
        _add_error(
            errors,
            "net_worth",
            f"Audited net worth {format_crore(net_worth)} is below the minimum of "
            f"{format_crore(slab.min_net_worth)} for a {_mtpa(capacity)} bid "
            f"(slab {slab}, rule set v{rules.version}).",
        )


def _participants_for(
    actor, consortium: Consortium | None
) -> list[tuple[Firm, str, Decimal | None]]:
    if consortium is None:
        return [(actor.firm, BidParticipant.Role.SOLE, None)]
    members = list(consortium.members.select_related("firm").order_by("-equity_pct", "firm_id"))
    rows = [
        (
            m.firm,
            BidParticipant.Role.LEAD
            if m.firm_id == consortium.lead_id
            else BidParticipant.Role.MEMBER,
            m.equity_pct,
        )
        for m in members
    ]
    return sorted(rows, key=lambda r: (r[1] != BidParticipant.Role.LEAD, r[0].pk))


def technical_cover(
    *,
    tender: Tender,
    bid_id: int,
    number: int,
    participants: Sequence[tuple[int, str, str, Decimal | None]],
    capacity_mtpa: int,
    accepts_partial: bool,
    net_worth: Decimal,
    net_worth_as_of: dt.date,
    documents: Sequence[dict[str, Any]],
    submitted_at: dt.datetime,
) -> dict[str, Any]:
    """The canonical content of a technical cover, as hashed into the commitment."""
    return {
        "tender": tender.reference,
        "bid": bid_id,
        "version": number,
        "bidder": [
            {
                "firm": pk,
                "name": name,
                "role": role,
                "equity_pct": None if pct is None else f"{pct:.2f}",
            }
            for pk, name, role, pct in participants
        ],
        "capacity_mtpa": capacity_mtpa,
        "accepts_partial": accepts_partial,
        "net_worth": f"{to_money(net_worth):f}",
        "net_worth_as_of": net_worth_as_of.isoformat(),
        "documents": sorted(
            ({"kind": d["kind"], "sha256": d["sha256"], "size": d["size"]} for d in documents),
            key=lambda d: (d["kind"], d["sha256"]),
        ),
        "submitted_at": submitted_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    }


def technical_cover_of(version: BidVersion) -> dict[str, Any]:
    """Rebuild a stored version's technical cover from the database, to check it at opening."""
    bid = version.bid
    participants = [
        (p.firm_id, p.firm.legal_name, p.role, p.equity_pct)
        for p in bid.participants.select_related("firm").order_by("id")
    ]
    return technical_cover(
        tender=bid.tender,
        bid_id=bid.pk,
        number=version.number,
        participants=participants,
        capacity_mtpa=version.capacity_mtpa,
        accepts_partial=version.accepts_partial,
        net_worth=version.net_worth,
        net_worth_as_of=version.net_worth_as_of,
        documents=[
            {"kind": d.kind, "sha256": d.sha256, "size": d.size} for d in version.documents.all()
        ],
        submitted_at=version.submitted_at,
    )


def _require_bid_lead(actor, bid: Bid) -> None:
    if not (has_role(actor, Role.FIRM_USER) and actor.firm_id == bid.firm_id):
        raise PermissionDenied("Only the bidder (or the consortium's lead) may change this bid.")


# A crash report (Django's debug page, an e-mailed traceback) must not print the rate either:
# every frame from here down is blanked, whoever the caller.
@sensitive_variables()
@transaction.atomic
def submit_bid(
    *,
    actor,
    tender: Tender,
    capacity_mtpa: int,
    accepts_partial: bool,
    net_worth: Decimal,
    net_worth_as_of: dt.date,
    quoted_rate: Any,
    consortium: Consortium | None = None,
    dpr=None,
    eligibility_documents: Sequence[Any] = (),
    now: dt.datetime | None = None,
) -> BidVersion:
    """Submit a bid, or modify it (a new version; the last counts), before the due date.

    The financial cover (the quoted rate) is sealed at once; the returned version carries the
    commitment that the bidder's receipt shows.
    """
    require_role(actor, Role.FIRM_USER, action="submit a bid")
    tender = _lock_tender(tender)
    now = _clock(now)
    rules = tender.rule_set
    if tender.status != Tender.Status.PUBLISHED:
        raise ValidationError(
            f"Tender {tender.reference} is not open for bids ({tender.get_status_display().lower()})."
        )
    if now >= tender.bids_due:
        raise ValidationError(
            f"Bids were due at {_when(tender.bids_due)}; it is now {_when(now)} by the portal's "
            "clock, so no bid can be submitted, modified or withdrawn."
        )
    bid = Bid.objects.select_for_update().filter(tender=tender, firm_id=actor.firm_id).first()
    errors: dict[str, list[str]] = {}
    if bid is not None and bid.status == Bid.Status.WITHDRAWN:
        raise ValidationError(
            "Your firm withdrew its bid on this tender; a withdrawn bid cannot be resubmitted."
        )
    if bid is not None and bid.consortium_id != (consortium.pk if consortium else None):
        _add_error(
            errors,
            "consortium",
            "A modification cannot change who bids; the bidder is fixed by the first submission.",
        )
    if consortium is not None and consortium.lead_id != actor.firm_id:
        raise PermissionDenied("Only the consortium's lead may bid for it.")
    if bid is None:
        participants = _participants_for(actor, consortium)
    else:
        participants = [
            (p.firm, p.role, p.equity_pct)
            for p in bid.participants.select_related("firm").order_by("id")
        ]
    if consortium is not None:
        lead_share = next(
            (pct for _, role, pct in participants if role == BidParticipant.Role.LEAD), None
        )
        if lead_share is None or lead_share < rules.consortium_lead_min_pct:
            _add_error(
                errors,
                "consortium",
                f"The lead must hold at least {rules.consortium_lead_min_pct.normalize()} % of the "
                f"consortium (rule set v{rules.version}).",
            )
    if bid is None:
        taken = BidParticipant.objects.filter(
            tender=tender, firm__in=[f for f, _, _ in participants]
        ).select_related("firm")
        for row in taken:
            _add_error(
                errors,
                "consortium",
                f"{row.firm.legal_name} already takes part in another bid on this tender; "
                "a firm may bid once, either alone or in one consortium.",
            )
    try:
        rate = parse_rate(quoted_rate)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
        rate = None
    if rate is not None:
        validate_quoted_rate(rate, rules, errors)
    validate_capacity(capacity_mtpa, rules, errors)
    net_worth = to_money(net_worth)
    validate_net_worth(net_worth, capacity_mtpa, rules, errors)
    if net_worth_as_of > timezone.localdate(now):
        _add_error(errors, "net_worth_as_of", "The audited net worth must be as of a past date.")

    previous = (
        bid.versions.order_by("-number").prefetch_related("documents").first() if bid else None
    )
    uploads: list[tuple[str, Any, dict]] = []
    if dpr is not None:
        try:
            uploads.append(
                (
                    BidDocument.Kind.DPR,
                    dpr,
                    checked_upload(dpr, allowed=DPR_TYPES, max_bytes=DPR_MAX_BYTES, what="DPR"),
                )
            )
        except ValidationError as exc:
            _add_error(errors, "dpr", exc.messages[0])
    elif previous is None:
        _add_error(errors, "dpr", "Attach the detailed project report (PDF).")
    for index, upload in enumerate(eligibility_documents):
        try:
            meta = checked_upload(
                upload,
                allowed=ELIGIBILITY_TYPES,
                max_bytes=ELIGIBILITY_MAX_BYTES,
                what="eligibility document",
            )
        except ValidationError as exc:
            _add_error(errors, "eligibility_documents", f"Document {index + 1}: {exc.messages[0]}")
            continue
        uploads.append((BidDocument.Kind.ELIGIBILITY, upload, meta))
    if previous is None and not eligibility_documents:
        _add_error(errors, "eligibility_documents", "Attach the eligibility documents.")
    if errors:
        raise ValidationError(errors)

    created = bid is None
    if created:
        bid = Bid.objects.create(
            tender=tender, firm_id=actor.firm_id, consortium=consortium, created_at=now
        )
        BidParticipant.objects.bulk_create(
            BidParticipant(tender=tender, bid=bid, firm=firm, role=role, equity_pct=pct)
            for firm, role, pct in participants
        )
    new_docs = []
    for kind, upload, meta in uploads:
        document = BidDocument(bid=bid, kind=kind, uploaded_by=actor, uploaded_at=now, **meta)
        document.file.save(f"{kind}.{meta['content_type'].rsplit('/', 1)[-1]}", upload, save=False)
        document.save()
        new_docs.append(document)
    kept = []
    if previous is not None:
        replaced = {d.kind for d in new_docs}
        kept = [d for d in previous.documents.all() if d.kind not in replaced]
    documents = kept + new_docs

    number = (previous.number if previous else 0) + 1
    technical = technical_cover(
        tender=tender,
        bid_id=bid.pk,
        number=number,
        participants=[(f.pk, f.legal_name, role, pct) for f, role, pct in participants],
        capacity_mtpa=capacity_mtpa,
        accepts_partial=accepts_partial,
        net_worth=net_worth,
        net_worth_as_of=net_worth_as_of,
        documents=[{"kind": d.kind, "sha256": d.sha256, "size": d.size} for d in documents],
        submitted_at=now,
    )
    cover = sealing.FinancialCover(
        tender_id=tender.pk,
        bid_id=bid.pk,
        version=number,
        quoted_rate=rate,
        nonce=sealing.new_nonce(),
    )
    key = tender.sealing_key
    tech_hex = sealing.technical_digest(technical)
    fin_hex = sealing.financial_digest(cover)
    version = BidVersion.objects.create(
        bid=bid,
        number=number,
        submitted_at=now,
        submitted_by=actor,
        capacity_mtpa=capacity_mtpa,
        accepts_partial=accepts_partial,
        net_worth=net_worth,
        net_worth_as_of=net_worth_as_of,
        technical_digest=tech_hex,
        financial_digest=fin_hex,
        commitment=sealing.commitment(tech_hex, fin_hex),
        sealed_financial=sealing.seal(
            cover,
            wrapped_key=bytes(key.wrapped_key),
            tender_reference=tender.reference,
            key_id=key.master_key_id,
        ),
    )
    version.documents.set(documents)
    del cover, rate  # nothing after this line may see the rate
    audit.record(
        actor=actor,
        action="bid.submitted" if created else "bid.modified",
        obj=bid,
        old=None
        if previous is None
        else {"version": previous.number, "commitment": previous.commitment},
        new={
            "tender": tender.reference,
            "version": number,
            "capacity_mtpa": capacity_mtpa,
            "accepts_partial": accepts_partial,
            "net_worth": net_worth,
            "documents": [{"kind": d.kind, "sha256": d.sha256} for d in documents],
            "technical_digest": tech_hex,
            "financial_digest": fin_hex,
            "commitment": version.commitment,
            "financial_cover": "sealed",
        },
    )
    return version


@transaction.atomic
def withdraw_bid(*, actor, bid: Bid, now: dt.datetime | None = None) -> Bid:
    """Withdraw before the due date; a withdrawn bid is out of this tender for good."""
    _require_bid_lead(actor, bid)
    tender = _lock_tender(bid.tender_id)
    bid = Bid.objects.select_for_update().get(pk=bid.pk)
    now = _clock(now)
    if now >= tender.bids_due:
        raise ValidationError(
            f"Bids were due at {_when(tender.bids_due)}; it is now {_when(now)} by the portal's "
            "clock, so the bid can no longer be withdrawn."
        )
    if bid.status != Bid.Status.SUBMITTED:
        raise ValidationError(
            f"The bid is {bid.get_status_display().lower()}; it cannot be withdrawn."
        )
    bid.withdrawn_at = now
    bid.status = Bid.Status.WITHDRAWN
    bid.save(update_fields=["status", "withdrawn_at"])
    audit.record(
        actor=actor,
        action="bid.withdrawn",
        obj=bid,
        old={"status": Bid.Status.SUBMITTED},
        new={"status": Bid.Status.WITHDRAWN, "at": now},
    )
    return bid


# Openings


def _final_versions(bids: Iterable[Bid]) -> dict[int, BidVersion]:
    ids = [b.pk for b in bids]
    versions = (
        BidVersion.objects.filter(bid_id__in=ids)
        .select_related("bid__tender")
        .prefetch_related("documents")
        .order_by("bid_id", "-number")
    )
    final: dict[int, BidVersion] = {}
    for version in versions:
        final.setdefault(version.bid_id, version)
    return final


def _file_sha256(field) -> str | None:
    try:
        field.open("rb")
    except (FileNotFoundError, OSError):
        return None
    digest = hashlib.sha256()
    try:
        for chunk in field.chunks():
            digest.update(chunk)
    finally:
        field.close()
    return digest.hexdigest()


def _check_technical(version: BidVersion) -> tuple[bool, str]:
    for document in version.documents.all():
        if _file_sha256(document.file) != document.sha256:
            return (
                False,
                f"{document.get_kind_display()} {document.original_name} no longer matches its SHA-256",
            )
    recomputed = sealing.technical_digest(technical_cover_of(version))
    if recomputed != version.technical_digest:
        return False, "technical cover does not match its digest"
    if sealing.commitment(recomputed, version.financial_digest) != version.commitment:
        return False, "digests do not match the published commitment"
    return True, "technical cover matches the commitment"


def _open_technical(tender: Tender, opening: CoverOpening, *, now) -> list[dict[str, Any]]:
    bids = list(tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("pk").select_for_update())
    final = _final_versions(bids)
    log = []
    for bid in bids:
        version = final[bid.pk]
        ok, detail = _check_technical(version)
        OpenedCover.objects.create(
            opening=opening, bid_version=version, matches_commitment=ok, detail=detail
        )
        if not ok:
            _transition_bid(bid, Bid.Status.EXCLUDED, actor=None, now=now, reason=detail)
        log.append(
            {
                "bid": bid.pk,
                "version": version.number,
                "commitment": version.commitment,
                "matches": ok,
                "detail": detail,
            }
        )
    return log


def allocation_rules(tender: Tender) -> engine.AllocationRules:
    rules = tender.rule_set
    return engine.AllocationRules(
        target_mtpa=tender.capacity_mtpa,
        max_winners=tender.slots,
        min_capacity_mtpa=rules.min_capacity_mtpa,
        max_capacity_mtpa=rules.max_capacity_mtpa,
        capacity_step_mtpa=rules.capacity_step_mtpa,
        oxide_mtpa=Decimal(tender.oxide_mtpa),
        oxide_winners=rules.irel_oxide_winners,
        tie_break=tuple(rules.tie_break),
    )


def _open_financial(tender: Tender, opening: CoverOpening, *, now) -> list[dict[str, Any]]:
    bids = list(tender.bids.filter(status=Bid.Status.QUALIFIED).order_by("pk").select_for_update())
    final = _final_versions(bids)
    key = tender.sealing_key
    log: list[dict[str, Any]] = []
    ranked_input: list[engine.BidForRanking] = []
    for bid in bids:
        version = final[bid.pk]
        try:
            cover = sealing.unseal(
                bytes(version.sealed_financial),
                wrapped_key=bytes(key.wrapped_key),
                tender_reference=tender.reference,
                key_id=key.master_key_id,
                tender_id=tender.pk,
                bid_id=bid.pk,
                version=version.number,
            )
        except sealing.SealError as exc:
            OpenedCover.objects.create(
                opening=opening,
                bid_version=version,
                matches_commitment=False,
                detail=str(exc)[:300],
            )
            _transition_bid(bid, Bid.Status.EXCLUDED, actor=None, now=now, reason=str(exc))
            log.append(
                {"bid": bid.pk, "version": version.number, "matches": False, "detail": str(exc)}
            )
            continue
        fin_hex = sealing.financial_digest(cover)
        ok = (
            fin_hex == version.financial_digest
            and sealing.commitment(version.technical_digest, fin_hex) == version.commitment
        )
        detail = (
            "financial cover matches the commitment"
            if ok
            else "financial cover does not match the commitment"
        )
        OpenedCover.objects.create(
            opening=opening, bid_version=version, matches_commitment=ok, detail=detail,
            quoted_rate=cover.quoted_rate, nonce=cover.nonce,
        )  # fmt: skip
        log.append({
            "bid": bid.pk, "version": version.number, "commitment": version.commitment,
            "quoted_rate": cover.quoted_rate, "nonce": cover.nonce, "matches": ok, "detail": detail,
        })  # fmt: skip
        if not ok:
            _transition_bid(bid, Bid.Status.EXCLUDED, actor=None, now=now, reason=detail)
            continue
        ranked_input.append(
            engine.BidForRanking(
                bid_id=bid.pk,
                bidder=bid.bidder_name,
                quoted_rate=cover.quoted_rate,
                capacity_mtpa=version.capacity_mtpa,
                net_worth=version.net_worth,
                submitted_at=version.submitted_at,
                accepts_partial=version.accepts_partial,
            )
        )
    _rank_and_allocate(tender, ranked_input, now=now)
    return log


def _rank_and_allocate(
    tender: Tender, bids: list[engine.BidForRanking], *, now
) -> TenderAllocation:
    result = engine.allocate(bids, allocation_rules(tender))
    slots = {s.bid_id: s for s in result.slots}
    waiting = {w.bid_id: w for w in result.waitlist}
    BidRanking.objects.bulk_create(
        BidRanking(
            tender=tender,
            bid_id=ranked.bid.bid_id,
            rank=ranked.rank,
            quoted_rate=ranked.bid.quoted_rate,
            tie_note=ranked.tie_note or "",
            outcome=BidRanking.Outcome.ALLOCATED
            if ranked.bid.bid_id in slots
            else BidRanking.Outcome.WAITLISTED,
            allocated_mtpa=slots[ranked.bid.bid_id].allocated_mtpa
            if ranked.bid.bid_id in slots
            else 0,
            is_partial=slots[ranked.bid.bid_id].is_partial if ranked.bid.bid_id in slots else False,
            oxide_mtpa=slots[ranked.bid.bid_id].oxide_mtpa
            if ranked.bid.bid_id in slots
            else Decimal(0),
            waitlist_reason_code=waiting[ranked.bid.bid_id].reason_code.value
            if ranked.bid.bid_id in waiting
            else "",
            waitlist_reason=waiting[ranked.bid.bid_id].reason
            if ranked.bid.bid_id in waiting
            else "",
        )
        for ranked in result.ranking
    )
    return TenderAllocation.objects.create(
        tender=tender,
        computed_at=now,
        rule_set=tender.rule_set,
        total_allocated_mtpa=result.total_allocated_mtpa,
        unallocated_mtpa=result.unallocated_mtpa,
        explanation=engine.explain(result),
    )


def _require_committee_member(actor, tender: Tender) -> None:
    if not tender.committee_members.filter(
        user_id=getattr(actor, "pk", None)
    ).exists() or not has_role(actor, *COMMITTEE_ROLES):
        raise PermissionDenied(
            f"Only members of the bid-opening committee of {tender.reference} may confirm an opening."
        )


@transaction.atomic
def confirm_opening(
    *, actor, tender: Tender, stage: str, now: dt.datetime | None = None
) -> CoverOpening | None:
    """A committee member confirms an opening; the quorum's last confirmation opens the covers.

    Technical first, then financial (only qualified bids, after the evaluation is approved),
    each no earlier than its scheduled time. Returns the opening when it happened.
    """
    _require_committee_member(actor, tender)
    tender = _lock_tender(tender)
    now = _clock(now)
    if stage not in Stage.values:
        raise ValidationError(f"Unknown opening '{stage}'.")
    if CoverOpening.objects.filter(tender=tender, stage=stage).exists():
        raise ValidationError(f"The {stage} covers of {tender.reference} are already open.")
    if stage == Stage.TECHNICAL:
        if tender.status != Tender.Status.PUBLISHED:
            raise ValidationError(
                f"Tender {tender.reference} is {tender.get_status_display().lower()}; its technical covers cannot be opened."
            )
        scheduled = tender.technical_opening_at
    else:
        if tender.status in (Tender.Status.DRAFT, Tender.Status.PUBLISHED, Tender.Status.CANCELLED):
            raise ValidationError(
                "Financial covers are opened only after the technical covers, never before."
            )
        if tender.status == Tender.Status.TECHNICAL_OPENED:
            raise ValidationError(
                "Financial covers are opened only after every technical evaluation is approved."
            )
        scheduled = tender.financial_opening_at
    if now < scheduled:
        raise ValidationError(
            f"The {stage} opening is scheduled for {_when(scheduled)}; it is now {_when(now)}. "
            "It can be confirmed only from that time."
        )
    if OpeningConfirmation.objects.filter(tender=tender, stage=stage, member=actor).exists():
        raise ValidationError(
            "You have already confirmed this opening; another committee member must confirm it."
        )
    OpeningConfirmation.objects.create(tender=tender, stage=stage, member=actor, confirmed_at=now)
    audit.record(
        actor=actor,
        action=f"opening.{stage}.confirmed",
        obj=tender,
        new={"stage": stage, "member": actor.get_username(), "at": now},
    )
    confirmations = list(
        OpeningConfirmation.objects.filter(tender=tender, stage=stage).order_by(
            "confirmed_at", "id"
        )
    )
    if len({c.member_id for c in confirmations}) < tender.opening_quorum:
        return None

    opening = CoverOpening.objects.create(tender=tender, stage=stage, opened_at=now)
    opening.confirmations.set(confirmations)
    if stage == Stage.TECHNICAL:
        log = _open_technical(tender, opening, now=now)
        _transition_tender(
            tender,
            Tender.Status.TECHNICAL_OPENED,
            actor=actor,
            now=now,
            extra={"technical_opened_at": now},
        )
        if not tender.bids.filter(status=Bid.Status.SUBMITTED).exists():
            # Nothing to evaluate (no bids, or none whose cover matched): the evaluation is complete.
            _transition_tender(
                tender,
                Tender.Status.TECHNICAL_EVALUATED,
                actor=actor,
                now=now,
                extra={"technical_evaluated_at": now},
            )
    else:
        log = _open_financial(tender, opening, now=now)
        _transition_tender(
            tender,
            Tender.Status.FINANCIAL_OPENED,
            actor=actor,
            now=now,
            extra={"financial_opened_at": now},
        )
    audit.record(
        actor=actor,
        action=f"opening.{stage}.opened",
        obj=opening,
        new={
            "stage": stage,
            "at": now,
            "confirmed_by": [c.member.get_username() for c in confirmations],
            "covers": log,
        },
    )
    return opening


# Technical evaluation


def _check_criteria(results: dict[str, tuple[bool, str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = set(results) - set(Criterion.values)
    if unknown:
        _add_error(errors, "results", f"Unknown criteria: {', '.join(sorted(unknown))}.")
    for criterion in Criterion:
        if criterion.value not in results:
            _add_error(
                errors, criterion.value, f"Record pass or fail on {criterion.label.lower()}."
            )
            continue
        passed, reason = results[criterion.value]
        if not isinstance(passed, bool):
            _add_error(errors, criterion.value, "Record pass or fail.")
        if not (reason or "").strip():
            _add_error(
                errors,
                criterion.value,
                f"Give the reason for the result on {criterion.label.lower()}.",
            )
    return errors


@transaction.atomic
def record_evaluation(
    *, actor, bid: Bid, results: dict[str, tuple[bool, str]], now: dt.datetime | None = None
) -> TechnicalEvaluation:
    """An evaluator records pass or fail, with reasons, on each criterion of a bid's final cover."""
    require_role(actor, Role.EVALUATOR, action="record a technical evaluation")
    tender = _lock_tender(bid.tender_id)
    bid = Bid.objects.select_for_update().get(pk=bid.pk)
    now = _clock(now)
    if tender.status != Tender.Status.TECHNICAL_OPENED:
        raise ValidationError(
            "Technical evaluation is recorded after the technical opening and before its approval is complete."
        )
    if bid.status != Bid.Status.SUBMITTED:
        raise ValidationError(
            f"Bid {bid.pk} is {bid.get_status_display().lower()}; it is not under evaluation."
        )
    errors = _check_criteria(results)
    if errors:
        raise ValidationError(errors)
    version = _final_versions([bid])[bid.pk]
    qualified = all(passed for passed, _ in results.values())
    evaluation = TechnicalEvaluation.objects.select_for_update().filter(bid=bid).first()
    old = None
    if evaluation is not None:
        if evaluation.status == TechnicalEvaluation.Status.APPROVED:
            raise ValidationError("This evaluation is approved; it can no longer change.")
        old = {"evaluated_by": evaluation.evaluated_by.get_username(), "qualified": evaluation.qualified,
               "results": {r.criterion: [r.passed, r.reason] for r in evaluation.results.all()}}  # fmt: skip
        evaluation.results.all().delete()
        evaluation.status = TechnicalEvaluation.Status.RECORDED
        evaluation.qualified = qualified
        evaluation.evaluated_by = actor
        evaluation.evaluated_at = now
        evaluation.return_reason = ""
        evaluation.bid_version = version
        evaluation.save()
    else:
        evaluation = TechnicalEvaluation.objects.create(
            bid=bid, bid_version=version, qualified=qualified, evaluated_by=actor, evaluated_at=now
        )
    CriterionResult.objects.bulk_create(
        CriterionResult(
            evaluation=evaluation, criterion=c, passed=results[c][0], reason=results[c][1].strip()
        )
        for c in Criterion.values
    )
    audit.record(
        actor=actor,
        action="evaluation.recorded",
        obj=evaluation,
        old=old,
        new={
            "bid": bid.pk,
            "version": version.number,
            "qualified": qualified,
            "results": {c: [results[c][0], results[c][1].strip()] for c in Criterion.values},
        },
    )
    return evaluation


@transaction.atomic
def approve_evaluation(
    *, actor, evaluation: TechnicalEvaluation, now: dt.datetime | None = None
) -> TechnicalEvaluation:
    """A second official approves; the bid is then qualified or disqualified for good."""
    require_role(actor, *EVALUATION_APPROVERS, action="approve a technical evaluation")
    tender = _lock_tender(evaluation.bid.tender_id)
    bid = Bid.objects.select_for_update().get(pk=evaluation.bid_id)
    evaluation = TechnicalEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    now = _clock(now)
    if evaluation.evaluated_by_id == actor.pk:
        raise ValidationError(
            "You recorded this evaluation; a second official must approve it (four eyes)."
        )
    if evaluation.status != TechnicalEvaluation.Status.RECORDED:
        raise ValidationError(
            f"This evaluation is {evaluation.get_status_display().lower()}; only a recorded one can be approved."
        )
    evaluation.status = TechnicalEvaluation.Status.APPROVED
    evaluation.approved_by = actor
    evaluation.approved_at = now
    evaluation.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record(
        actor=actor, action="evaluation.approved", obj=evaluation,
        old={"status": TechnicalEvaluation.Status.RECORDED},
        new={"status": TechnicalEvaluation.Status.APPROVED, "qualified": evaluation.qualified},
    )  # fmt: skip
    _transition_bid(
        bid,
        Bid.Status.QUALIFIED if evaluation.qualified else Bid.Status.DISQUALIFIED,
        actor=actor,
        now=now,
    )
    pending = tender.bids.filter(status=Bid.Status.SUBMITTED).exists()
    if not pending:
        _transition_tender(
            tender,
            Tender.Status.TECHNICAL_EVALUATED,
            actor=actor,
            now=now,
            extra={"technical_evaluated_at": now},
        )
    return evaluation


@transaction.atomic
def return_evaluation(
    *, actor, evaluation: TechnicalEvaluation, reason: str, now: dt.datetime | None = None
) -> TechnicalEvaluation:
    """The second official sends an evaluation back with a reason, to be recorded again."""
    require_role(actor, *EVALUATION_APPROVERS, action="return a technical evaluation")
    _lock_tender(evaluation.bid.tender_id)
    evaluation = TechnicalEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    _clock(now)
    if evaluation.evaluated_by_id == actor.pk:
        raise ValidationError("You recorded this evaluation; a second official must review it.")
    if evaluation.status != TechnicalEvaluation.Status.RECORDED:
        raise ValidationError("Only a recorded evaluation can be returned.")
    if not reason.strip():
        raise ValidationError({"reason": "Say what must be looked at again."})
    evaluation.status = TechnicalEvaluation.Status.RETURNED
    evaluation.return_reason = reason.strip()
    evaluation.save(update_fields=["status", "return_reason"])
    audit.record(actor=actor, action="evaluation.returned", obj=evaluation,
                 old={"status": TechnicalEvaluation.Status.RECORDED},
                 new={"status": TechnicalEvaluation.Status.RETURNED, "reason": evaluation.return_reason})  # fmt: skip
    return evaluation


# Award, letters, guarantees


def pbg_terms(
    *, rules: RuleSet, allocated_mtpa: int, award_date: dt.date
) -> tuple[Decimal, dt.date]:
    """The guarantee an award requires: amount per 100 MTPA, valid to the term plus the extra months."""
    amount = to_money(rules.pbg_per_100_mtpa * allocated_mtpa / 100)
    months = rules.gestation_months + rules.sli_months + rules.pbg_validity_extra_months
    return amount, add_months(award_date, months)


def _letter_content(award: Award, bid: Bid, version: BidVersion, actor) -> dict[str, Any]:
    rules = award.rule_set
    firm = bid.firm
    members = [
        {
            "name": p.firm.legal_name,
            "role": p.get_role_display(),
            "equity_pct": None if p.equity_pct is None else f"{p.equity_pct:.2f}",
        }
        for p in bid.participants.select_related("firm").order_by("id")
    ]
    return audit.to_json({
        "tender": {"reference": award.tender.reference, "title": award.tender.title},
        "bidder": bid.bidder_name,
        "lead_firm": firm.legal_name,
        "address": firm.registered_address,
        "signatory": f"{firm.signatory_name}, {firm.signatory_designation}",
        "members": members if bid.consortium_id else [],
        "rank": award.label,
        "quoted_rate": award.quoted_rate,
        "bid_capacity_mtpa": version.capacity_mtpa,
        "allocated_mtpa": award.allocated_mtpa,
        "is_partial": award.is_partial,
        "oxide_mtpa": award.oxide_mtpa,
        "award_date": timezone.localdate(award.awarded_at),
        "gestation_months": rules.gestation_months,
        "sli_months": rules.sli_months,
        "ceiling_rate": rules.sli_ceiling_rate,
        "cumulative_cap": to_money(award.quoted_rate * award.allocated_mtpa * 1000 * 5),
        "pbg_amount": award.pbg_amount_required,
        "pbg_valid_until": award.pbg_valid_until_required,
        "pbg_per_100_mtpa": rules.pbg_per_100_mtpa,
        "rule_set": {"version": rules.version, "notification": rules.notification},
        "issued_by": {"name": actor.get_full_name() or actor.get_username(), "designation": getattr(actor, "designation", "")},
    })  # fmt: skip


@transaction.atomic
def award_tender(*, actor, tender: Tender, now: dt.datetime | None = None) -> list[Award]:
    """Award every allocated bid; letters are queued for rendering once this commits."""
    require_role(actor, *TENDER_MANAGERS, action="award a tender")
    tender = _lock_tender(tender)
    now = _clock(now)
    if tender.status != Tender.Status.FINANCIAL_OPENED:
        raise ValidationError(
            f"Tender {tender.reference} is {tender.get_status_display().lower()}; it can be awarded only after the financial opening and ranking."
        )
    rankings = list(tender.rankings.select_related("bid__firm", "bid__consortium").order_by("rank"))
    if not any(r.outcome == BidRanking.Outcome.ALLOCATED for r in rankings):
        raise ValidationError(
            "No bid was allocated capacity; there is nothing to award. Cancel or re-tender instead."
        )
    bids = {
        b.pk: b
        for b in Bid.objects.select_for_update()
        .filter(pk__in=[r.bid_id for r in rankings])
        .order_by("pk")
    }
    final = _final_versions(bids.values())
    rules = tender.rule_set
    awards = []
    for ranking in rankings:
        bid = bids[ranking.bid_id]
        if ranking.outcome != BidRanking.Outcome.ALLOCATED:
            _transition_bid(
                bid, Bid.Status.WAITLISTED, actor=actor, now=now, reason=ranking.waitlist_reason
            )
            continue
        amount, valid_until = pbg_terms(
            rules=rules, allocated_mtpa=ranking.allocated_mtpa, award_date=timezone.localdate(now)
        )
        award = Award.objects.create(
            tender=tender, bid=bid, rank=ranking.rank, quoted_rate=ranking.quoted_rate,
            allocated_mtpa=ranking.allocated_mtpa, is_partial=ranking.is_partial,
            oxide_mtpa=ranking.oxide_mtpa, rule_set=rules, awarded_at=now, awarded_by=actor,
            pbg_amount_required=amount, pbg_valid_until_required=valid_until,
        )  # fmt: skip
        letter = AwardLetter.objects.create(
            award=award,
            number=f"MHI/REPM/LoA/{timezone.localdate(now).year}/{tender.pk:03d}/{ranking.rank}",
            content=_letter_content(award, bid, final[bid.pk], actor),
            created_at=now,
        )
        _transition_bid(bid, Bid.Status.AWARDED, actor=actor, now=now)
        audit.record(
            actor=actor, action="award.made", obj=award,
            new={"bid": bid.pk, "rank": award.label, "allocated_mtpa": award.allocated_mtpa,
                 "is_partial": award.is_partial, "oxide_mtpa": award.oxide_mtpa,
                 "quoted_rate": award.quoted_rate, "pbg_amount_required": amount,
                 "pbg_valid_until_required": valid_until, "letter": letter.number},
        )  # fmt: skip
        _enqueue("render_award_letter", letter.pk)
        awards.append(award)
    _transition_tender(
        tender, Tender.Status.AWARDED, actor=actor, now=now, extra={"awarded_at": now}
    )
    return awards


def render_award_letter(*, letter_id: int, now: dt.datetime | None = None) -> AwardLetter | None:
    """Render a pending letter to PDF and store it with its hash; a second call does nothing.

    The slow rendering runs outside any transaction; the result is stored by a guarded update,
    so two workers racing on one letter store exactly one file.
    """
    from repm_portal.pdf import render_pdf

    letter = AwardLetter.objects.select_related("award").filter(pk=letter_id).first()
    if letter is None or letter.status != AwardLetter.Status.PENDING:
        return letter
    try:
        pdf = render_pdf("bidding/pdf/award_letter.html", {"letter": letter, "c": letter.content})
    except Exception as exc:  # WeasyPrint raises many kinds; record and let the sweep retry
        logger.exception("Rendering Letter of Award %s failed", letter.number)
        with transaction.atomic():
            locked = AwardLetter.objects.select_for_update().get(pk=letter.pk)
            locked.attempts += 1
            locked.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if locked.attempts >= LETTER_MAX_ATTEMPTS:
                locked.status = AwardLetter.Status.FAILED
            locked.save(update_fields=["attempts", "last_error", "status"])
            audit.record(
                actor=None,
                action="award_letter.render_failed",
                obj=locked,
                new={"attempts": locked.attempts, "error": locked.last_error},
            )
        return locked
    digest = hashlib.sha256(pdf).hexdigest()
    moment = _clock(now)
    with transaction.atomic():
        locked = AwardLetter.objects.select_for_update().get(pk=letter.pk)
        if locked.status != AwardLetter.Status.PENDING:
            return locked
        safe_number = locked.number.replace("/", "-")
        locked.file.save(f"{safe_number}-{digest[:12]}.pdf", ContentFile(pdf), save=False)
        locked.sha256, locked.size, locked.rendered_at = digest, len(pdf), moment
        locked.status = AwardLetter.Status.ISSUED
        locked.attempts += 1
        locked.save(update_fields=["file", "sha256", "size", "rendered_at", "status", "attempts"])
        audit.record(actor=None, action="award_letter.issued", obj=locked, old={"status": AwardLetter.Status.PENDING},
                     new={"status": AwardLetter.Status.ISSUED, "sha256": digest, "size": len(pdf)})  # fmt: skip
    return locked


def pending_letter_ids(
    *, older_than: dt.timedelta = dt.timedelta(minutes=2), now: dt.datetime | None = None
) -> list[int]:
    """Letters still pending a while after they were queued: the sweep enqueues them again."""
    cutoff = _clock(now) - older_than
    return list(
        AwardLetter.objects.filter(
            status=AwardLetter.Status.PENDING, created_at__lte=cutoff
        ).values_list("pk", flat=True)[:100]
    )


def can_record_pbg(actor, award: Award) -> bool:
    if has_role(actor, *TENDER_MANAGERS):
        return True
    return has_role(actor, Role.FIRM_USER) and actor.firm_id == award.bid.firm_id


@transaction.atomic
def record_pbg(
    *,
    actor,
    award: Award,
    amount: Decimal,
    bank_name: str,
    guarantee_number: str,
    issued_on: dt.date,
    valid_until: dt.date,
    now: dt.datetime | None = None,
) -> PerformanceBankGuarantee:
    """A winner records its performance bank guarantee; a replacement supersedes the active one."""
    if not can_record_pbg(actor, award):
        raise PermissionDenied(
            "Only the winner or a ministry official may record this award's guarantee."
        )
    award = Award.objects.select_for_update().select_related("bid").get(pk=award.pk)
    now = _clock(now)
    errors: dict[str, list[str]] = {}
    amount = to_money(amount)
    if amount < award.pbg_amount_required:
        _add_error(errors, "amount", f"The guarantee must be for at least {format_inr(award.pbg_amount_required)} "
                   f"({format_crore(award.pbg_amount_required)}): {format_crore(award.rule_set.pbg_per_100_mtpa)} "
                   f"per 100 MTPA of the {_mtpa(award.allocated_mtpa)} awarded.")  # fmt: skip
    if valid_until < award.pbg_valid_until_required:
        _add_error(errors, "valid_until", f"The guarantee must stay valid until at least "
                   f"{award.pbg_valid_until_required:%d %b %Y} (award + term + "
                   f"{award.rule_set.pbg_validity_extra_months} months).")  # fmt: skip
    if issued_on > timezone.localdate(now):
        _add_error(errors, "issued_on", "The issue date cannot be in the future.")
    if issued_on < timezone.localdate(award.awarded_at):
        _add_error(errors, "issued_on", "The guarantee must be issued on or after the award.")
    if not bank_name.strip():
        _add_error(errors, "bank_name", "Name the issuing bank.")
    if not guarantee_number.strip():
        _add_error(errors, "guarantee_number", "Give the guarantee's number.")
    elif PerformanceBankGuarantee.objects.filter(
        bank_name__iexact=bank_name.strip(), guarantee_number__iexact=guarantee_number.strip()
    ).exists():
        _add_error(errors, "guarantee_number", "This bank's guarantee number is already recorded.")
    if errors:
        raise ValidationError(errors)
    previous = list(
        PerformanceBankGuarantee.objects.select_for_update().filter(
            award=award, status=PerformanceBankGuarantee.Status.ACTIVE
        )
    )
    for old in previous:
        old.status = PerformanceBankGuarantee.Status.SUPERSEDED
        old.save(update_fields=["status"])
        audit.record(
            actor=actor,
            action="pbg.superseded",
            obj=old,
            old={"status": "active"},
            new={"status": "superseded"},
        )
    guarantee = PerformanceBankGuarantee.objects.create(
        award=award, amount=amount, bank_name=bank_name.strip(), guarantee_number=guarantee_number.strip(),
        issued_on=issued_on, valid_until=valid_until, recorded_by=actor, recorded_at=now,
    )  # fmt: skip
    audit.record(
        actor=actor,
        action="pbg.recorded",
        obj=guarantee,
        new=audit.snapshot(
            guarantee,
            ["award_id", "amount", "bank_name", "guarantee_number", "issued_on", "valid_until"],
        ),
    )
    return guarantee


# Performance bank guarantees: what the award still owes, extension, release, invocation, reminders

# Other phases (gestation, the ledger) register checks that say what an award still owes, so
# bidding never imports them: each takes (award, today) and returns a sentence, or "" if clear.
_OBLIGATION_CHECKS: list[Callable[[Award, dt.date], str]] = []


def register_obligation_check(check: Callable[[Award, dt.date], str]) -> None:
    if check not in _OBLIGATION_CHECKS:
        _OBLIGATION_CHECKS.append(check)


def obligations_end_on(award: Award) -> dt.date:
    """The end of the scheme term the guarantee secures: award + gestation + SLI months."""
    rules = award.rule_set
    return add_months(
        timezone.localdate(award.awarded_at), rules.gestation_months + rules.sli_months
    )


def open_obligations(award: Award, today: dt.date) -> list[str]:
    """What the award still owes on `today`; an empty list means the guarantee may be released."""
    owed = []
    term_end = obligations_end_on(award)
    if today <= term_end:
        owed.append(f"The scheme term runs until {term_end:%d %b %Y}.")
    owed.extend(message for check in _OBLIGATION_CHECKS if (message := check(award, today)))
    return owed


def _lock_active_guarantee(guarantee: PerformanceBankGuarantee) -> PerformanceBankGuarantee:
    locked = (
        PerformanceBankGuarantee.objects.select_for_update(of=("self",))
        .select_related("award__rule_set", "award__bid", "award__tender")
        .get(pk=guarantee.pk)
    )
    if locked.status != PerformanceBankGuarantee.Status.ACTIVE:
        raise ValidationError(
            f"Guarantee {locked.guarantee_number} is {locked.get_status_display().lower()}; "
            "only the active guarantee can change."
        )
    return locked


@transaction.atomic
def extend_pbg(
    *,
    actor,
    guarantee: PerformanceBankGuarantee,
    valid_until: dt.date,
    amendment_reference: str,
    now: dt.datetime | None = None,
) -> PbgExtension:
    """Record the bank's extension of the active guarantee: a later expiry, the old one kept."""
    if not can_record_pbg(actor, guarantee.award):
        raise PermissionDenied(
            "Only the winner or a ministry official may record this award's guarantee."
        )
    guarantee = _lock_active_guarantee(guarantee)
    now = _clock(now)
    errors: dict[str, list[str]] = {}
    if valid_until is None or valid_until <= guarantee.valid_until:
        _add_error(errors, "valid_until", f"The new expiry must be later than the current one, "
                   f"{guarantee.valid_until:%d %b %Y}.")  # fmt: skip
    if not amendment_reference.strip():
        _add_error(errors, "amendment_reference", "Give the reference of the bank's amendment.")
    if errors:
        raise ValidationError(errors)
    extension = PbgExtension.objects.create(
        guarantee=guarantee, previous_valid_until=guarantee.valid_until, valid_until=valid_until,
        amendment_reference=amendment_reference.strip(), extended_by=actor, extended_at=now,
    )  # fmt: skip
    old = guarantee.valid_until
    guarantee.valid_until = valid_until
    guarantee.save(update_fields=["valid_until"])
    audit.record(
        actor=actor,
        action="pbg.extended",
        obj=guarantee,
        old={"valid_until": old},
        new={
            "valid_until": valid_until,
            "amendment_reference": extension.amendment_reference,
            "extension_id": extension.pk,
        },
    )
    return extension


@transaction.atomic
def release_pbg(
    *, actor, guarantee: PerformanceBankGuarantee, reason: str, now: dt.datetime | None = None
) -> PerformanceBankGuarantee:
    """An official releases the guarantee to the bank, once the award owes nothing more."""
    require_role(actor, *TENDER_MANAGERS, action="release a performance bank guarantee")
    guarantee = _lock_active_guarantee(guarantee)
    now = _clock(now)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the guarantee is released."]})
    owed = open_obligations(guarantee.award, timezone.localdate(now))
    if owed:
        raise ValidationError(
            "The guarantee cannot be released while the award still owes: " + " ".join(owed)
        )
    transition(
        guarantee, PerformanceBankGuarantee.Status.RELEASED, pipeline=PBG_PIPELINE, actor=actor,
        now=now, label=f"Guarantee {guarantee.guarantee_number}", reason=reason.strip(),
        extra={"closed_by_id": actor.pk, "closed_at": now, "closing_reason": reason.strip()},
    )  # fmt: skip
    return guarantee


@transaction.atomic
def invoke_pbg(
    *,
    actor,
    guarantee: PerformanceBankGuarantee,
    amount: Decimal,
    reason: str,
    now: dt.datetime | None = None,
) -> PerformanceBankGuarantee:
    """An official invokes the guarantee (in full or in part), with the reason on record."""
    require_role(actor, *TENDER_MANAGERS, action="invoke a performance bank guarantee")
    guarantee = _lock_active_guarantee(guarantee)
    now = _clock(now)
    errors: dict[str, list[str]] = {}
    amount = to_money(amount) if amount is not None else None
    if amount is None or amount <= 0:
        _add_error(errors, "amount", "Give the amount invoked.")
    elif amount > guarantee.amount:
        _add_error(
            errors,
            "amount",
            f"At most the guarantee's {format_inr(guarantee.amount)} can be invoked.",
        )
    if not reason.strip():
        _add_error(errors, "reason", "Say why the guarantee is invoked.")
    if errors:
        raise ValidationError(errors)
    transition(
        guarantee, PerformanceBankGuarantee.Status.INVOKED, pipeline=PBG_PIPELINE, actor=actor,
        now=now, label=f"Guarantee {guarantee.guarantee_number}", reason=reason.strip(),
        extra={"closed_by_id": actor.pk, "closed_at": now, "closing_reason": reason.strip(),
               "invoked_amount": amount},
    )  # fmt: skip
    return guarantee


def _pbg_recipients(guarantee: PerformanceBankGuarantee, officials: list[str]) -> list[str]:
    firm = guarantee.award.bid.firm
    return sorted(
        {
            *firm.users.filter(is_active=True).exclude(email="").values_list("email", flat=True),
            *officials,
        }
    )


def _official_emails() -> list[str]:
    return list(
        User.objects.filter(role__in=TENDER_MANAGERS, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _note_once(guarantee: PerformanceBankGuarantee, days_before: int, now, new: dict) -> bool:
    """Record one reminder for the guarantee's current expiry; False if it was sent before."""
    earlier = PbgReminder.objects.filter(guarantee=guarantee, days_before=days_before).filter(
        Q(valid_until=guarantee.valid_until)
        | Q(valid_until__isnull=True, guarantee__extensions__isnull=True)
    )
    if earlier.exists():
        return False
    try:
        with transaction.atomic():
            PbgReminder.objects.create(
                guarantee=guarantee,
                days_before=days_before,
                valid_until=guarantee.valid_until,
                sent_at=now,
            )
            audit.record(
                actor=None,
                action="pbg.expiry_reminder" if days_before else "pbg.expired_with_obligations",
                obj=guarantee,
                new=new,
            )
    except IntegrityError:
        return False  # a concurrent run sent it
    return True


def send_pbg_expiry_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind winners and officials as an active guarantee nears expiry (90, 30, 7 days); once each
    per expiry date, so an extended guarantee is reminded again before its new expiry."""
    now = _clock(now)
    today = timezone.localdate(now)
    horizon = today + dt.timedelta(days=max(PBG_REMINDER_DAYS))
    sent = 0
    guarantees = (
        PerformanceBankGuarantee.objects.filter(
            status=PerformanceBankGuarantee.Status.ACTIVE,
            valid_until__lte=horizon,
            valid_until__gte=today,
        )
        .select_related("award__tender", "award__bid__firm")
        .order_by("pk")
    )
    officials = _official_emails()
    for guarantee in guarantees.iterator(chunk_size=200):
        days_left = (guarantee.valid_until - today).days
        due = [d for d in PBG_REMINDER_DAYS if days_left <= d]
        if not due:
            continue
        threshold = min(due)
        new = {
            "days_before": threshold,
            "days_left": days_left,
            "valid_until": guarantee.valid_until,
        }
        if not _note_once(guarantee, threshold, now, new):
            continue
        firm = guarantee.award.bid.firm
        recipients = _pbg_recipients(guarantee, officials)
        if recipients:
            send_mail(
                f"[REPM] Performance bank guarantee {guarantee.guarantee_number} expires in {days_left} days",
                f"The performance bank guarantee {guarantee.guarantee_number} of {guarantee.bank_name} for "
                f"{firm.legal_name} ({guarantee.award.tender.reference}, {guarantee.award.label}) expires on "
                f"{guarantee.valid_until:%d %b %Y}. Renew or extend it before then; an expired guarantee "
                "leaves the award unsecured.",
                None,
                recipients,
            )
        sent += 1
    return sent


def expired_guarantees_with_obligations(
    *, now: dt.datetime | None = None
) -> list[tuple[PerformanceBankGuarantee, list[str]]]:
    """Active guarantees past their expiry while their award still owes something."""
    today = timezone.localdate(_clock(now))
    expired = (
        PerformanceBankGuarantee.objects.filter(
            status=PerformanceBankGuarantee.Status.ACTIVE, valid_until__lt=today
        )
        .select_related("award__tender", "award__bid__firm", "award__rule_set")
        .order_by("valid_until", "pk")
    )
    flagged = []
    for guarantee in expired:
        owed = open_obligations(guarantee.award, today)
        if owed:
            flagged.append((guarantee, owed))
    return flagged


def flag_expired_guarantees(*, now: dt.datetime | None = None) -> int:
    """The daily job: tell the firm and officials, once per expiry, of each expired guarantee whose
    award still owes something; the dashboards show the same list."""
    now = _clock(now)
    officials = _official_emails()
    flagged = 0
    for guarantee, owed in expired_guarantees_with_obligations(now=now):
        new = {"valid_until": guarantee.valid_until, "obligations": owed}
        if not _note_once(guarantee, 0, now, new):
            continue
        firm = guarantee.award.bid.firm
        recipients = _pbg_recipients(guarantee, officials)
        if recipients:
            send_mail(
                f"[REPM] Performance bank guarantee {guarantee.guarantee_number} has expired",
                f"The performance bank guarantee {guarantee.guarantee_number} of {guarantee.bank_name} for "
                f"{firm.legal_name} ({guarantee.award.tender.reference}, {guarantee.award.label}) expired on "
                f"{guarantee.valid_until:%d %b %Y}, while the award still owes: {' '.join(owed)} "
                "Extend it or record a replacement now.",
                None,
                recipients,
            )
        flagged += 1
    return flagged


__all__ = [
    "add_tender_document",
    "allocation_rules",
    "answer_query",
    "approve_evaluation",
    "ask_query",
    "award_tender",
    "can_record_pbg",
    "cancel_tender",
    "checked_upload",
    "confirm_opening",
    "create_tender",
    "expired_guarantees_with_obligations",
    "extend_pbg",
    "flag_expired_guarantees",
    "invoke_pbg",
    "issue_corrigendum",
    "notify_firms_of_tender_version",
    "obligations_end_on",
    "open_obligations",
    "parse_rate",
    "pbg_terms",
    "pending_letter_ids",
    "publish_tender",
    "record_evaluation",
    "record_pbg",
    "register_obligation_check",
    "release_pbg",
    "render_award_letter",
    "return_evaluation",
    "send_pbg_expiry_reminders",
    "submit_bid",
    "technical_cover",
    "technical_cover_of",
    "validate_capacity",
    "validate_net_worth",
    "validate_quoted_rate",
    "validate_timeline",
    "withdraw_bid",
]
