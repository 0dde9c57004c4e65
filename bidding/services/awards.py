"""Awards: the award of a ranked tender, its guarantee terms, and the Letters of Award."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import User
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
    _final_versions,
    _lock_tender,
    _transition_bid,
    _transition_tender,
)
from repm_portal import anchoring, audit, clock, jobs
from repm_portal.documents import render_and_issue
from repm_portal.fiscal import add_months
from repm_portal.models import RuleSet
from repm_portal.money import to_money
from repm_portal.roles import require_role


def pbg_terms(
    *, rules: RuleSet, allocated_mtpa: int, award_date: dt.date
) -> tuple[Decimal, dt.date]:
    """The guarantee an award requires: amount per 100 MTPA, valid to the term plus the extra months."""
    amount = to_money(rules.pbg_per_100_mtpa * allocated_mtpa / 100)
    months = rules.gestation_months + rules.sli_months + rules.pbg_validity_extra_months
    return amount, add_months(award_date, months)


def _letter_content(award: Award, bid: Bid, version: BidVersion, actor: User) -> dict[str, Any]:
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
def award_tender(*, actor: User, tender: Tender, now: dt.datetime | None = None) -> list[Award]:
    """Award every allocated bid; letters are queued for rendering once this commits."""
    require_role(actor, *TENDER_MANAGERS, action="award a tender")
    tender = _lock_tender(tender)
    now = clock.now(now)
    if tender.status != Tender.Status.FINANCIAL_OPENED:
        raise ValidationError(
            _(
                "Tender %(reference)s is %(status)s; it can be awarded only after the "
                "financial opening and ranking."
            )
            % {"reference": tender.reference, "status": _(tender.get_status_display()).lower()}
        )
    rankings = list(tender.rankings.select_related("bid__firm", "bid__consortium").order_by("rank"))
    if not any(r.outcome == BidRanking.Outcome.ALLOCATED for r in rankings):
        raise ValidationError(
            _(
                "No bid was allocated capacity; there is nothing to award. Cancel or "
                "re-tender instead."
            )
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
        jobs.enqueue_on_commit(
            AwardLetter.RENDER_TASK, letter.pk, key=f"render:award-letter:{letter.number}"
        )
        anchoring.enqueue("award.tender", tender.pk)
        awards.append(award)
    _transition_tender(
        tender, Tender.Status.AWARDED, actor=actor, now=now, extra={"awarded_at": now}
    )
    return awards


def render_award_letter(*, letter_id: int, now: dt.datetime | None = None) -> AwardLetter:
    """Render a pending letter to PDF and store it with its hash; a second call does nothing.

    The slow rendering runs outside any transaction; the result is stored under the row's lock,
    so two workers racing on one letter store exactly one file. A rendering error propagates to
    the letter's job, which tries again with backoff and then fails with the reason.
    """
    return render_and_issue(
        AwardLetter,
        letter_id,
        template="bidding/pdf/award_letter.html",
        context=lambda letter: {"letter": letter, "c": letter.content},
        filename=lambda letter, digest: f"{letter.number.replace('/', '-')}-{digest[:12]}.pdf",
        label=lambda letter: f"Letter of Award {letter.number}",
        action="award_letter.issued",
        now=now,
    )
