"""Bids and their two covers: submit, modify, withdraw; the rate is sealed at once and never shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from beneficiaries.models import Consortium, Firm, User
from bidding import sealing
from bidding.models import (
    Bid,
    BidDocument,
    BidParticipant,
    BidVersion,
    Tender,
)
from bidding.services._common import _add_error, _lock_tender, _mtpa, _transition_bid, _when
from bidding.services.opening_keys import current_key
from repm_portal import audit, clock
from repm_portal.models import RuleSet
from repm_portal.money import format_crore, format_inr, to_money
from repm_portal.roles import Role, has_role, require_role
from repm_portal.uploads import JPEG, MB, PDF, PNG, checked_upload

DPR_TYPES, DPR_MAX_BYTES = (PDF,), 50 * MB
ELIGIBILITY_TYPES, ELIGIBILITY_MAX_BYTES = (PDF, PNG, JPEG), 20 * MB


def parse_rate(value: Any) -> Decimal:
    """A rate as a Decimal of at most two decimals; the error never repeats what was typed."""
    if isinstance(value, float | bool):
        raise ValidationError(
            {"quoted_rate": _("Give the rate as a decimal number of rupees per kg.")}
        )
    try:
        rate = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {"quoted_rate": _("The quoted rate must be a number of rupees per kg.")}
        ) from None
    if not rate.is_finite():
        raise ValidationError(
            {"quoted_rate": _("The quoted rate must be a number of rupees per kg.")}
        )
    if rate != rate.quantize(Decimal("0.01")):
        raise ValidationError(
            {"quoted_rate": _("Quote the rate in rupees and paise (at most two decimals).")}
        )
    return rate


def validate_quoted_rate(rate: Decimal, rules: RuleSet, errors: dict[str, list[str]]) -> None:
    ceiling = rules.sli_ceiling_rate
    if not Decimal(0) < rate <= ceiling:
        _add_error(
            errors,
            "quoted_rate",
            _(
                "The quoted rate must be above zero and at most the ceiling of "
                "%(ceiling)s/kg (rule set v%(version)s)."
            )
            % {"ceiling": format_inr(ceiling), "version": rules.version},
        )


def validate_capacity(capacity: int, rules: RuleSet, errors: dict[str, list[str]]) -> None:
    low, high, step = rules.min_capacity_mtpa, rules.max_capacity_mtpa, rules.capacity_step_mtpa
    if not low <= capacity <= high or capacity % step:
        _add_error(
            errors,
            "capacity_mtpa",
            _(
                "Bid capacity must be %(low)s to %(high)s in steps of %(step)s (rule "
                "set v%(version)s); %(capacity)s is not."
            )
            % {
                "low": _mtpa(low),
                "high": _mtpa(high),
                "step": _mtpa(step),
                "version": rules.version,
                "capacity": _mtpa(capacity),
            },
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
            _(
                "Audited net worth %(net_worth)s is below the minimum of "
                "%(minimum)s for a %(capacity)s bid (slab %(slab)s, rule set "
                "v%(version)s)."
            )
            % {
                "net_worth": format_crore(net_worth),
                "minimum": format_crore(slab.min_net_worth),
                "capacity": _mtpa(capacity),
                "slab": slab,
                "version": rules.version,
            },
        )


def _participants_for(
    actor: User, consortium: Consortium | None
) -> list[tuple[Firm, str, Decimal | None]]:
    if consortium is None:
        if actor.firm is None:
            raise PermissionDenied(_("Only a user of a registered firm may submit a bid."))
        return [(actor.firm, BidParticipant.Role.SOLE, None)]
    members = list(consortium.members.select_related("firm").order_by("-equity_pct", "firm_id"))
    # Only a formed consortium bids, and every member of a formed one is a firm that accepted.
    rows: list[tuple[Firm, str, Decimal | None]] = [
        (
            m.firm,
            BidParticipant.Role.LEAD
            if m.firm_id == consortium.lead_id
            else BidParticipant.Role.MEMBER,
            m.equity_pct,
        )
        for m in members
        if m.firm is not None
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


def _seal(cover: sealing.FinancialCover, tender: Tender) -> bytes:
    """Seal to the tender's public key; a tender published before issue 13 keeps its master-key scheme."""
    opening_key = current_key(tender)
    if opening_key is not None:
        return sealing.seal_to_public(cover, public_key=bytes(opening_key.public_key))
    key = tender.sealing_key
    return sealing.seal(
        cover,
        wrapped_key=bytes(key.wrapped_key),
        tender_reference=tender.reference,
        key_id=key.master_key_id,
    )


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


def _require_bid_lead(actor: User, bid: Bid) -> None:
    if not (has_role(actor, Role.FIRM_USER) and actor.firm_id == bid.firm_id):
        raise PermissionDenied(_("Only the bidder (or the consortium's lead) may change this bid."))


# A crash report (Django's debug page, an e-mailed traceback) must not print the rate either:
# every frame from here down is blanked, whoever the caller.
@sensitive_variables()
@transaction.atomic
def submit_bid(
    *,
    actor: User,
    tender: Tender,
    capacity_mtpa: int,
    accepts_partial: bool,
    net_worth: Decimal,
    net_worth_as_of: dt.date,
    quoted_rate: Any,
    consortium: Consortium | None = None,
    dpr: File | None = None,
    eligibility_documents: Sequence[File] = (),
    now: dt.datetime | None = None,
) -> BidVersion:
    """Submit a bid, or modify it (a new version; the last counts), before the due date.

    The financial cover (the quoted rate) is sealed at once; the returned version carries the
    commitment that the bidder's receipt shows.
    """
    require_role(actor, Role.FIRM_USER, action="submit a bid")
    if actor.firm_id is None:
        raise PermissionDenied(_("Only a user of a registered firm may submit a bid."))
    tender = _lock_tender(tender)
    now = clock.now(now)
    rules = tender.rule_set
    if tender.status != Tender.Status.PUBLISHED:
        raise ValidationError(
            _("Tender %(reference)s is not open for bids (%(status)s).")
            % {"reference": tender.reference, "status": _(tender.get_status_display()).lower()}
        )
    if now >= tender.bids_due:
        raise ValidationError(
            _(
                "Bids were due at %(bids_due)s; it is now %(now)s by the portal's "
                "clock, so no bid can be submitted, modified or withdrawn."
            )
            % {"bids_due": _when(tender.bids_due), "now": _when(now)}
        )
    bid = Bid.objects.select_for_update().filter(tender=tender, firm_id=actor.firm_id).first()
    errors: dict[str, list[str]] = {}
    if bid is not None and bid.status == Bid.Status.WITHDRAWN:
        raise ValidationError(
            _("Your firm withdrew its bid on this tender; a withdrawn bid cannot be resubmitted.")
        )
    if bid is not None and bid.consortium_id != (consortium.pk if consortium else None):
        _add_error(
            errors,
            "consortium",
            _(
                "A modification cannot change who bids; the bidder is fixed by the "
                "first submission."
            ),
        )
    if consortium is not None and consortium.lead_id != actor.firm_id:
        raise PermissionDenied(_("Only the consortium's lead may bid for it."))
    if consortium is not None and consortium.status != Consortium.Status.FORMED:
        raise ValidationError(
            {
                "consortium": [
                    _(
                        "%(name)s is %(status)s; a consortium may bid only once every partner "
                        "has accepted it."
                    )
                    % {
                        "name": consortium.name,
                        "status": _(consortium.get_status_display()).lower(),
                    }
                ]
            }
        )
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
                _(
                    "The lead must hold at least %(pct)s %% of the consortium (rule "
                    "set v%(version)s)."
                )
                % {
                    "pct": rules.consortium_lead_min_pct.normalize(),
                    "version": rules.version,
                },
            )
    if bid is None:
        taken = BidParticipant.objects.filter(
            tender=tender, firm__in=[f for f, _, _ in participants]
        ).select_related("firm")
        for row in taken:
            _add_error(
                errors,
                "consortium",
                _(
                    "%(legal_name)s already takes part in another bid on this tender; a "
                    "firm may bid once, either alone or in one consortium."
                )
                % {"legal_name": row.firm.legal_name},
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
        _add_error(errors, "net_worth_as_of", _("The audited net worth must be as of a past date."))

    previous = (
        bid.versions.order_by("-number").prefetch_related("documents").first() if bid else None
    )
    uploads: list[tuple[str, File, dict[str, Any]]] = []
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
        _add_error(errors, "dpr", _("Attach the detailed project report (PDF)."))
    for index, upload in enumerate(eligibility_documents):
        try:
            meta = checked_upload(
                upload,
                allowed=ELIGIBILITY_TYPES,
                max_bytes=ELIGIBILITY_MAX_BYTES,
                what="eligibility document",
            )
        except ValidationError as exc:
            _add_error(
                errors,
                "eligibility_documents",
                _("Document %(number)s: %(error)s")
                % {"number": index + 1, "error": exc.messages[0]},
            )
            continue
        uploads.append((BidDocument.Kind.ELIGIBILITY, upload, meta))
    if previous is None and not eligibility_documents:
        _add_error(errors, "eligibility_documents", _("Attach the eligibility documents."))
    if errors or rate is None:  # an unreadable rate is among the errors
        raise ValidationError(errors)

    created = bid is None
    if bid is None:
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
        sealed_financial=_seal(cover, tender),
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
def withdraw_bid(*, actor: User, bid: Bid, now: dt.datetime | None = None) -> Bid:
    """Withdraw before the due date; a withdrawn bid is out of this tender for good."""
    _require_bid_lead(actor, bid)
    tender = _lock_tender(bid.tender_id)
    bid = Bid.objects.select_for_update().get(pk=bid.pk)
    now = clock.now(now)
    if now >= tender.bids_due:
        raise ValidationError(
            _(
                "Bids were due at %(bids_due)s; it is now %(now)s by the portal's "
                "clock, so the bid can no longer be withdrawn."
            )
            % {"bids_due": _when(tender.bids_due), "now": _when(now)}
        )
    if bid.status != Bid.Status.SUBMITTED:
        raise ValidationError(
            _("The bid is %(status)s; it cannot be withdrawn.")
            % {"status": _(bid.get_status_display()).lower()}
        )
    _transition_bid(bid, Bid.Status.WITHDRAWN, actor=actor, now=now, extra={"withdrawn_at": now})
    return bid
