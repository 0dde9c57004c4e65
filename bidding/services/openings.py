"""Cover openings on the committee's quorum, then ranking and allocation of the opened rates."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from beneficiaries.models import User
from bidding import engine, sealing
from bidding.models import (
    Bid,
    BidRanking,
    BidVersion,
    CoverOpening,
    OpenedCover,
    OpeningConfirmation,
    Stage,
    Tender,
    TenderAllocation,
    TenderOpeningKey,
)
from bidding.services import opening_shares
from bidding.services._common import (
    COMMITTEE_ROLES,
    _final_versions,
    _lock_tender,
    _transition_bid,
    _transition_tender,
    _when,
)
from bidding.services.bids import technical_cover_of
from bidding.services.opening_keys import current_key
from repm_portal import anchoring, audit, clock
from repm_portal.roles import has_role


def _file_sha256(field: FieldFile) -> str | None:
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


def _open_technical(
    tender: Tender, opening: CoverOpening, *, now: dt.datetime
) -> list[dict[str, Any]]:
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
        tie_break=engine.validate_tie_break(rules.tie_break),
    )


Opener = Callable[[Bid, BidVersion], sealing.FinancialCover]


def _master_key_opener(tender: Tender) -> Opener:
    """Covers of a tender sealed before issue 13, under BID_SEALING_MASTER_KEY."""
    key = tender.sealing_key

    def open_cover(bid: Bid, version: BidVersion) -> sealing.FinancialCover:
        return sealing.unseal(
            bytes(version.sealed_financial),
            wrapped_key=bytes(key.wrapped_key),
            tender_reference=tender.reference,
            key_id=key.master_key_id,
            tender_id=tender.pk,
            bid_id=bid.pk,
            version=version.number,
        )

    return open_cover


def _private_key_opener(tender: Tender, private_key: Any) -> Opener:
    def open_cover(bid: Bid, version: BidVersion) -> sealing.FinancialCover:
        return sealing.unseal_with_private(
            bytes(version.sealed_financial),
            private_key=private_key,
            tender_id=tender.pk,
            bid_id=bid.pk,
            version=version.number,
        )

    return open_cover


def _open_financial(
    tender: Tender, opening: CoverOpening, *, now: dt.datetime, open_cover: Opener
) -> list[dict[str, Any]]:
    bids = list(tender.bids.filter(status=Bid.Status.QUALIFIED).order_by("pk").select_for_update())
    final = _final_versions(bids)
    log: list[dict[str, Any]] = []
    ranked_input: list[engine.BidForRanking] = []
    for bid in bids:
        version = final[bid.pk]
        try:
            cover = open_cover(bid, version)
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
    tender: Tender, bids: list[engine.BidForRanking], *, now: dt.datetime
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


def _require_committee_member(actor: User, tender: Tender) -> None:
    if (
        not has_role(actor, *COMMITTEE_ROLES)
        or not tender.committee_members.filter(user_id=actor.pk).exists()
    ):
        raise PermissionDenied(
            _("Only members of the bid-opening committee of %(reference)s may confirm an opening.")
            % {"reference": tender.reference}
        )


@sensitive_variables("passphrase")
def _unlock_for_financial(
    *, actor: User, tender: Tender, opening_key: TenderOpeningKey, passphrase: str, now: dt.datetime
) -> tuple[bool, int]:
    """The member's share unlocked and held for the opening: (a first confirmation?, shares held)."""
    confirmed = OpeningConfirmation.objects.filter(
        tender=tender, stage=Stage.FINANCIAL, member=actor
    ).exists()
    if confirmed and opening_shares.has_live_share(tender, opening_key, actor):
        raise ValidationError(
            _("You have already confirmed this opening; another committee member must confirm it.")
        )
    raw = opening_shares.unlock_share(
        actor=actor, tender=tender, opening_key=opening_key, passphrase=passphrase
    )
    held = opening_shares.hold_share(
        tender=tender, opening_key=opening_key, member=actor, raw=raw, now=now
    )
    del raw
    if confirmed:
        # The opening's ephemeral key lapsed since this member confirmed; their share is back.
        audit.record(
            actor=actor,
            action="opening.financial.share_renewed",
            obj=tender,
            new={"member": actor.get_username(), "at": now, "shares_held": held},
        )
    return not confirmed, held


@transaction.atomic
@sensitive_variables("passphrase", "private_key")
def confirm_opening(
    *,
    actor: User,
    tender: Tender,
    stage: str,
    passphrase: str = "",
    now: dt.datetime | None = None,
) -> CoverOpening | None:
    """A committee member confirms an opening; the quorum's last confirmation opens the covers.

    Technical first, then financial (only qualified bids, after the evaluation is approved),
    each no earlier than its scheduled time. Returns the opening when it happened.
    For a financial opening of a tender with an opening key, each member enters the passphrase
    of their own opening key: their share of the tender's key is unlocked, and the k-th share
    rebuilds the key in memory for the opening (bidding/services/opening_keys.py).
    """
    _require_committee_member(actor, tender)
    tender = _lock_tender(tender)
    now = clock.now(now)
    if stage not in Stage.values:
        raise ValidationError(_("Unknown opening '%(stage)s'.") % {"stage": stage})
    if CoverOpening.objects.filter(tender=tender, stage=stage).exists():
        raise ValidationError(
            _("The %(stage)s covers of %(reference)s are already open.")
            % {"stage": stage, "reference": tender.reference}
        )
    if stage == Stage.TECHNICAL:
        if tender.status != Tender.Status.PUBLISHED:
            raise ValidationError(
                _("Tender %(reference)s is %(status)s; its technical covers cannot be opened.")
                % {"reference": tender.reference, "status": _(tender.get_status_display()).lower()}
            )
        scheduled = tender.technical_opening_at
    else:
        if tender.status in (Tender.Status.DRAFT, Tender.Status.PUBLISHED, Tender.Status.CANCELLED):
            raise ValidationError(
                _("Financial covers are opened only after the technical covers, never before.")
            )
        if tender.status == Tender.Status.TECHNICAL_OPENED:
            raise ValidationError(
                _("Financial covers are opened only after every technical evaluation is approved.")
            )
        scheduled = tender.financial_opening_at
    if now < scheduled:
        raise ValidationError(
            _(
                "The %(stage)s opening is scheduled for %(scheduled)s; it is now "
                "%(now)s. It can be confirmed only from that time."
            )
            % {"stage": stage, "scheduled": _when(scheduled), "now": _when(now)}
        )
    opening_key = current_key(tender) if stage == Stage.FINANCIAL else None
    first, held = True, 0
    if opening_key is not None:
        first, held = _unlock_for_financial(
            actor=actor, tender=tender, opening_key=opening_key, passphrase=passphrase, now=now
        )
    elif OpeningConfirmation.objects.filter(tender=tender, stage=stage, member=actor).exists():
        raise ValidationError(
            _("You have already confirmed this opening; another committee member must confirm it.")
        )
    if first:
        OpeningConfirmation.objects.create(
            tender=tender, stage=stage, member=actor, confirmed_at=now
        )
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
    if opening_key is not None and held < opening_key.threshold:
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
    elif opening_key is not None:
        private_key = opening_shares.rebuild_key(tender, opening_key)
        log = _open_financial(
            tender, opening, now=now, open_cover=_private_key_opener(tender, private_key)
        )
        del private_key  # the key is forgotten: nothing stored opens a cover again
    else:
        log = _open_financial(tender, opening, now=now, open_cover=_master_key_opener(tender))
    if stage == Stage.FINANCIAL:
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
    anchoring.enqueue(f"opening.{stage}", opening.pk)
    return opening
