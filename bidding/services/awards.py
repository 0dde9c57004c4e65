"""Awards: the award of a ranked tender, its guarantee terms, and the Letters of Award."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from bidding.models import (
    Award,
    AwardLetter,
    Bid,
    BidRanking,
    BidVersion,
    Tender,
)
from bidding.services._common import (
    TENDER_MANAGERS,
    _enqueue,
    _final_versions,
    _lock_tender,
    _transition_bid,
    _transition_tender,
    logger,
)
from repm_portal import audit, clock
from repm_portal.fiscal import add_months
from repm_portal.models import RuleSet
from repm_portal.money import to_money
from repm_portal.roles import require_role

LETTER_MAX_ATTEMPTS = 3


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
    now = clock.now(now)
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
    moment = clock.now(now)
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
    cutoff = clock.now(now) - older_than
    return list(
        AwardLetter.objects.filter(
            status=AwardLetter.Status.PENDING, created_at__lte=cutoff
        ).values_list("pk", flat=True)[:100]
    )
