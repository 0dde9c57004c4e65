"""Tenders: draft, documents, publication, corrigenda, cancellation and the firms' notice."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import User
from bidding.models import (
    TIMELINE_FIELDS,
    TIMELINE_LABELS,
    CommitteeMember,
    Tender,
    TenderDocument,
    TenderVersion,
)
from bidding.services._common import (
    COMMITTEE_ROLES,
    TENDER_MANAGERS,
    _add_error,
    _lock_tender,
    _mtpa,
    _transition_tender,
    _when,
)
from bidding.services.opening_keys import issue_tender_key
from repm_portal import audit, clock, jobs
from repm_portal.models import RuleSet
from repm_portal.roles import Role, has_role, require_role
from repm_portal.selectors import rule_set_in_force
from repm_portal.text import clean_reason
from repm_portal.uploads import MB, PDF, checked_upload

# Registered firms hear of a tender's publication and of each corrigendum by e-mail.
NOTIFY_TASK = "bidding.tasks.notify_firms_of_tender_version"

RFP_TYPES, RFP_MAX_BYTES = (PDF,), 50 * MB


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
            _add_error(errors, name, _("Give this date and time."))
        elif timezone.is_naive(value):
            _add_error(errors, name, _("The time must carry its time zone."))
    if any(name in errors for name in TIMELINE_FIELDS):
        return
    first = TIMELINE_FIELDS[0]
    if first_in_future and values[first] <= now:
        _add_error(
            errors, first, _("The first date must be after now (%(now)s).") % {"now": _when(now)}
        )
    for earlier, later in itertools.pairwise(TIMELINE_FIELDS):
        before, after = values[earlier], values[later]
        strict = later == "financial_opening_at"
        if after < before or (strict and after == before):
            _add_error(
                errors,
                later,
                _("%(date)s must come after %(earlier)s (%(before)s).")
                % {
                    "date": _(TIMELINE_LABELS[later]),
                    "earlier": _(TIMELINE_LABELS[earlier]).lower(),
                    "before": _when(before),
                },
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
            _("Capacity on offer must be at least %(minimum)s and a multiple of %(step)s.")
            % {"minimum": _mtpa(minimum), "step": _mtpa(step)},
        )
    if capacity_mtpa > rules.target_capacity_mtpa:
        _add_error(
            errors,
            "capacity_mtpa",
            _("Capacity on offer cannot exceed the scheme's target of %(target_capacity_mtpa)s.")
            % {"target_capacity_mtpa": _mtpa(rules.target_capacity_mtpa)},
        )
    if not 1 <= slots <= rules.max_beneficiaries:
        _add_error(
            errors,
            "slots",
            _("Slots must be 1 to %(max_beneficiaries)s (rule set v%(version)s).")
            % {"max_beneficiaries": rules.max_beneficiaries, "version": rules.version},
        )
    if oxide_mtpa < 0 or oxide_mtpa > rules.irel_oxide_mtpa:
        _add_error(
            errors,
            "oxide_mtpa",
            _("Oxide on offer must be 0 to %(irel_oxide_mtpa)s MTPA (rule set v%(version)s).")
            % {"irel_oxide_mtpa": rules.irel_oxide_mtpa, "version": rules.version},
        )
    if kind == Tender.Kind.RETENDER:
        if parent is None:
            _add_error(
                errors, "parent", _("A re-tender names the tender whose capacity it offers.")
            )
        elif parent.status != Tender.Status.AWARDED:
            _add_error(
                errors, "parent", _("Only the capacity of an awarded tender can be re-tendered.")
            )
        elif capacity_mtpa > parent.capacity_mtpa:
            _add_error(
                errors,
                "capacity_mtpa",
                _("A re-tender cannot offer more than its tender's %(capacity_mtpa)s.")
                % {"capacity_mtpa": _mtpa(parent.capacity_mtpa)},
            )
    elif parent is not None:
        _add_error(errors, "parent", _("Only a re-tender names a parent tender."))


def _validate_committee(members: Sequence[User], quorum: int, errors: dict[str, list[str]]) -> None:
    distinct = {m.pk for m in members}
    if len(distinct) < quorum:
        _add_error(
            errors,
            "committee",
            _("The bid-opening committee needs at least %(quorum)s different members.")
            % {"quorum": quorum},
        )
    for member in members:
        if not has_role(member, *COMMITTEE_ROLES):
            _add_error(
                errors,
                "committee",
                _(
                    "%(user)s cannot sit on a bid-opening committee (ministry "
                    "officials, evaluators, approvers and administrators can)."
                )
                % {"user": member.get_username()},
            )


def _store_tender_document(
    *, tender: Tender, title: str, upload: File, meta: dict[str, Any], actor: User,
    now: dt.datetime, version: TenderVersion | None = None,
    supersedes: TenderDocument | None = None,
) -> TenderDocument:  # fmt: skip
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
    actor: User,
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
    documents: Iterable[tuple[str, File]] = (),
    rule_set: RuleSet | None = None,
    opening_quorum: int = 2,
    now: dt.datetime | None = None,
) -> Tender:
    """An official drafts a tender with its offer, timeline, committee and RFP documents."""
    require_role(actor, *TENDER_MANAGERS, action="create a tender")
    now = clock.now(now)
    rules = rule_set or rule_set_in_force(on=timezone.localdate(now))
    errors: dict[str, list[str]] = {}
    reference, title = reference.strip(), title.strip()
    if not reference:
        _add_error(errors, "reference", _("Give the tender's reference number."))
    elif Tender.objects.filter(reference__iexact=reference).exists():
        _add_error(errors, "reference", _("A tender with this reference exists."))
    if not title:
        _add_error(errors, "title", _("Give the tender a title."))
    if kind not in Tender.Kind.values:
        _add_error(errors, "kind", _("Unknown kind '%(kind)s'.") % {"kind": kind})
    if oxide_mtpa is None:
        oxide_mtpa = rules.irel_oxide_mtpa if kind == Tender.Kind.MAIN else Decimal(0)
    _validate_offer(
        rules=rules, kind=kind, parent=parent, capacity_mtpa=capacity_mtpa, slots=slots,
        oxide_mtpa=oxide_mtpa, errors=errors,
    )  # fmt: skip
    if opening_quorum < 2:
        _add_error(errors, "committee", _("An opening needs at least two members to confirm it."))
    _validate_committee(committee, opening_quorum, errors)
    validate_timeline(timeline, now=now, errors=errors)
    checked_docs = []
    for index, (doc_title, upload) in enumerate(documents):
        try:
            meta = checked_upload(
                upload, allowed=RFP_TYPES, max_bytes=RFP_MAX_BYTES, what="RFP document"
            )
        except ValidationError as exc:
            _add_error(
                errors,
                "documents",
                _("Document %(number)s: %(error)s")
                % {"number": index + 1, "error": exc.messages[0]},
            )
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
    *, actor: User, tender: Tender, title: str, upload: File, now: dt.datetime | None = None
) -> TenderDocument:
    """Attach an RFP document to a draft; once published, documents change by corrigendum only."""
    require_role(actor, *TENDER_MANAGERS, action="attach tender documents")
    tender = _lock_tender(tender)
    now = clock.now(now)
    if tender.status != Tender.Status.DRAFT:
        raise ValidationError(
            _("The tender is published: issue a corrigendum to add or revise documents.")
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
def publish_tender(*, actor: User, tender: Tender, now: dt.datetime | None = None) -> TenderVersion:
    """Publish a draft: its key pair is made and split, its timeline becomes version 1, firms are told."""
    require_role(actor, *TENDER_MANAGERS, action="publish a tender")
    tender = _lock_tender(tender)
    now = clock.now(now)
    if tender.status != Tender.Status.DRAFT:
        raise ValidationError(
            _("Tender %(reference)s is already %(status)s.")
            % {"reference": tender.reference, "status": _(tender.get_status_display()).lower()}
        )
    if not tender.documents.exists():
        raise ValidationError(_("Attach at least one RFP document before publishing."))
    if tender.queries_due <= now:
        raise ValidationError(
            _(
                "The pre-bid query deadline (%(queries_due)s) has passed; move the "
                "dates before publishing."
            )
            % {"queries_due": _when(tender.queries_due)}
        )
    # The tender's key pair: covers are sealed to its public key, its private key only shared out.
    issue_tender_key(actor=actor, tender=tender, now=now)
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
    jobs.enqueue_on_commit(NOTIFY_TASK, version.pk)
    return version


@transaction.atomic
def issue_corrigendum(
    *,
    actor: User,
    tender: Tender,
    summary: str,
    timeline: dict[str, dt.datetime] | None = None,
    prebid_meeting_place: str | None = None,
    documents: Iterable[tuple[str, File, TenderDocument | None]] = (),
    now: dt.datetime | None = None,
) -> TenderVersion:
    """Change dates or documents of a published tender; the old version stays, firms are told.

    A date may move only while both its old and its new value lie in the future.
    `documents` are (title, upload, the document it revises or None).
    """
    require_role(actor, *TENDER_MANAGERS, action="issue a corrigendum")
    tender = _lock_tender(tender)
    now = clock.now(now)
    if tender.status != Tender.Status.PUBLISHED:
        raise ValidationError(
            _(
                "Tender %(reference)s is %(status)s: corrigenda are issued only while "
                "it is published and unopened."
            )
            % {"reference": tender.reference, "status": _(tender.get_status_display()).lower()}
        )
    errors: dict[str, list[str]] = {}
    if not summary.strip():
        _add_error(errors, "summary", _("Say what the corrigendum changes and why."))
    proposed = {name: getattr(tender, name) for name in TIMELINE_FIELDS}
    changes: dict[str, dict[str, Any]] = {}
    for name, value in (timeline or {}).items():
        if name not in TIMELINE_FIELDS:
            _add_error(
                errors, "timeline", _("'%(name)s' is not a date of the tender.") % {"name": name}
            )
            continue
        old = getattr(tender, name)
        if value == old:
            continue
        if old <= now:
            _add_error(
                errors,
                name,
                _("%(date)s (%(old)s) has passed; it cannot move.")
                % {"date": _(TIMELINE_LABELS[name]), "old": _when(old)},
            )
        elif value <= now:
            _add_error(
                errors,
                name,
                _("%(date)s must move to a time after now.") % {"date": _(TIMELINE_LABELS[name])},
            )
        proposed[name] = value
        changes[name] = {"old": old, "new": value}
    if changes:
        # Dates already past stay where they are; the whole line must still be in order.
        validate_timeline(proposed, now=now, errors=errors, first_in_future=False)
    # The venue, when it moves: None when not given or given unchanged.
    new_place = None if prebid_meeting_place is None else prebid_meeting_place.strip()
    if new_place == tender.prebid_meeting_place:
        new_place = None
    if new_place is not None:
        changes["prebid_meeting_place"] = {"old": tender.prebid_meeting_place, "new": new_place}
    checked_docs = []
    for index, (doc_title, upload, supersedes) in enumerate(documents):
        try:
            meta = checked_upload(
                upload, allowed=RFP_TYPES, max_bytes=RFP_MAX_BYTES, what="RFP document"
            )
        except ValidationError as exc:
            _add_error(
                errors,
                "documents",
                _("Document %(number)s: %(error)s")
                % {"number": index + 1, "error": exc.messages[0]},
            )
            continue
        if supersedes is not None:
            if supersedes.tender_id != tender.pk:
                _add_error(errors, "documents", _("A revision must revise this tender's document."))
                continue
            if TenderDocument.objects.filter(supersedes=supersedes).exists():
                _add_error(
                    errors,
                    "documents",
                    _("'%(title)s' was already revised; revise its latest version.")
                    % {"title": supersedes.title},
                )
                continue
        checked_docs.append((doc_title or meta["original_name"], upload, meta, supersedes))
    if not changes and not checked_docs and not errors:
        _add_error(
            errors, "summary", _("A corrigendum must change a date, the venue or a document.")
        )
    if errors:
        raise ValidationError(errors)

    for name in TIMELINE_FIELDS:
        setattr(tender, name, proposed[name])
    if new_place is not None:
        tender.prebid_meeting_place = new_place
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
    jobs.enqueue_on_commit(NOTIFY_TASK, version.pk)
    return version


@transaction.atomic
def cancel_tender(
    *, actor: User, tender: Tender, reason: str, now: dt.datetime | None = None
) -> Tender:
    require_role(actor, *TENDER_MANAGERS, action="cancel a tender")
    tender = _lock_tender(tender)
    now = clock.now(now)
    reason = clean_reason(reason, what="reason the tender is cancelled")
    _transition_tender(tender, Tender.Status.CANCELLED, actor=actor, now=now, reason=reason)
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
    from django.utils import translation

    # The e-mail is in the default language, whatever the page the official published from:
    # no user keeps a language preference; its text is in the catalogue for when one does.
    with translation.override(settings.LANGUAGE_CODE):
        subject = (
            _("[REPM] Corrigendum %(n)s to %(reference)s")
            % {"n": version.number - 1, "reference": version.tender.reference}
            if version.is_corrigendum
            else _("[REPM] Tender published: %(reference)s")
            % {"reference": version.tender.reference}
        )
        body = render_to_string(
            "bidding/email/tender_version.txt",
            {"version": version, "tender": version.tender, "site_url": settings.SITE_URL},
        )
    messages = [(subject, body, None, [email]) for email in recipients]
    return send_mass_mail(messages, fail_silently=False) if messages else 0
