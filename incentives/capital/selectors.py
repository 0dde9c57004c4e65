"""Reads of capital subsidy claims, scoped per user: a firm sees its own awards' claims, staff read all."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet, Sum

from bidding.models import Award
from incentives import ledger
from incentives.capital import engine
from incentives.capital.models import CapitalSubsidyClaim, ClaimDocument, InvestmentLine
from incentives.gestation.models import Plant
from incentives.models import SanctionLetter
from repm_portal import scoping
from repm_portal.models import RuleSet
from repm_portal.roles import READ_ALL_ROLES, AnyUser, Role, has_role

Status = CapitalSubsidyClaim.Status
CLAIM_TYPE = "capital_subsidy"
POOL = "capital_subsidy"


def claims_visible_to(user: AnyUser) -> QuerySet[CapitalSubsidyClaim]:
    base = CapitalSubsidyClaim.objects.select_related(
        "award__tender",
        "award__bid__firm",
        "award__bid__consortium",
        "rule_set",
        "ledger",
        "certificate",
        "letter",
        "verified_by",
        "approved_by",
        "submitted_by",
    )
    if has_role(user, *READ_ALL_ROLES):
        return base
    if has_role(user, Role.FIRM_USER) and user.firm_id:
        # The lead firm, and a consortium's other members (who read; only the lead claims).
        return base.filter(
            Q(award__bid__firm_id=user.firm_id) | Q(award__bid__participants__firm_id=user.firm_id)
        ).distinct()
    return base.none()


def claim_for(user: AnyUser, claim_id: int) -> CapitalSubsidyClaim:
    claim = claims_visible_to(user).filter(pk=claim_id).first()
    if claim is None:
        raise PermissionDenied("No such claim, or it is not yours to see.")
    return claim


def waiting_for(user: AnyUser) -> QuerySet[CapitalSubsidyClaim]:
    """Claims waiting for this user's step: verification for a verifier, approval for an approver."""
    claims = claims_visible_to(user)
    if has_role(user, Role.VERIFIER):
        return claims.filter(status=Status.SUBMITTED).order_by("submitted_at", "id")
    if has_role(user, Role.APPROVER):
        return (
            claims.filter(status=Status.VERIFIED)
            .exclude(verified_by=user)
            .order_by("verified_at", "id")
        )
    return claims.none()


def lines_of(claim: CapitalSubsidyClaim) -> QuerySet[InvestmentLine]:
    """The lines of the claim's current ledger, in file order."""
    return InvestmentLine.objects.filter(claim=claim, document_id=claim.ledger_id).order_by(
        "row_number"
    )


def documents_of(claim: CapitalSubsidyClaim) -> QuerySet[ClaimDocument]:
    return claim.documents.select_related("uploaded_by").order_by("-uploaded_at", "-id")


def document_for(user: AnyUser, claim_id: int, document_id: int) -> ClaimDocument:
    claim = claim_for(user, claim_id)
    document = claim.documents.filter(pk=document_id).first()
    if document is None:
        raise PermissionDenied("No such document on this claim.")
    return document


def claimed_before(award: Award, *, exclude: CapitalSubsidyClaim | None = None) -> dict[str, str]:
    """Vendor-and-invoice keys of the award's earlier live claims, mapped to the claim's reference.

    A rejected claim paid nothing, so its invoices may be claimed again; a draft or returned
    claim is the one being uploaded to (at most one claim is open at a time).
    """
    lines = InvestmentLine.objects.filter(
        claim__award=award,
        claim__status__in=CapitalSubsidyClaim.COUNTED_STATUSES,
        document_id=F("claim__ledger_id"),
    )
    if exclude is not None:
        lines = lines.exclude(claim=exclude)
    return dict(lines.order_by("-claim__sequence").values_list("duplicate_key", "claim__reference"))


def plant_of(award: Award) -> Plant | None:
    return Plant.objects.filter(award=award).first()


def slabs_of(rule_set: RuleSet) -> list[engine.Slab]:
    return [
        engine.Slab(
            min_capacity_mtpa=s.min_capacity_mtpa,
            max_capacity_mtpa=s.max_capacity_mtpa,
            cap=s.capital_subsidy_cap,
            min_investment=s.min_investment,
        )
        for s in rule_set.slabs.all()
    ]


def letters_of(claim: CapitalSubsidyClaim) -> list[SanctionLetter]:
    """Every sanction letter of the claim, newest first (a correction follows the letter it reverses)."""
    return list(
        SanctionLetter.objects.filter(claim_type=CLAIM_TYPE, claim_id=str(claim.pk)).order_by(
            "-created_at", "-id"
        )
    )


class ClaimableAward(TypedDict):
    award: Award
    plant: Plant | None
    commissioned: bool
    open_claim: CapitalSubsidyClaim | None
    claims: list[CapitalSubsidyClaim]  # newest first
    can_upload: bool


def _plant_of(award: Award) -> Plant | None:
    """The award's plant as select_related("plant") read it (None if it has none)."""
    try:
        return award.plant
    except Plant.DoesNotExist:
        return None


def claimable_awards(user: AnyUser) -> list[ClaimableAward]:
    """The firm's awards with their plant and claims: whether a claim can be started or continued."""
    if not has_role(user, Role.FIRM_USER) or not user.firm_id:
        return []
    awards = list(
        Award.objects.filter(bid__firm_id=user.firm_id)
        .select_related("tender", "rule_set", "bid", "plant")
        .order_by("tender__reference", "rank")
    )
    plants = {a.pk: plant for a in awards if (plant := _plant_of(a)) is not None}
    claims: dict[int, list[CapitalSubsidyClaim]] = {}
    for claim in CapitalSubsidyClaim.objects.filter(award__in=awards).order_by("-sequence"):
        claims.setdefault(claim.award_id, []).append(claim)
    rows: list[ClaimableAward] = []
    for award in awards:
        plant = plants.get(award.pk)
        own = claims.get(award.pk, [])
        open_claim = next((c for c in own if c.is_open), None)
        rows.append(
            {
                "award": award,
                "plant": plant,
                "commissioned": plant is not None and plant.commissioned_on is not None,
                "open_claim": open_claim,
                "claims": own,
                "can_upload": (
                    plant is not None
                    and plant.commissioned_on is not None
                    and (open_claim is None or open_claim.status in (Status.DRAFT, Status.RETURNED))
                ),
            }
        )
    return rows


def award_for_claim(user: AnyUser, award_id: int) -> Award:
    """An award the user's firm may claim for (the bid's lead firm)."""
    refused = PermissionDenied("No such award, or your firm may not claim for it.")
    if not has_role(user, Role.FIRM_USER) or user.firm_id is None:
        raise refused
    award = (
        Award.objects.select_related("tender", "rule_set", "bid__firm")
        .filter(pk=award_id, bid__firm_id=user.firm_id)
        .first()
    )
    if award is None:
        raise refused
    return award


def figure(claim: CapitalSubsidyClaim, *, eligible: Decimal) -> engine.Subsidy:
    """The subsidy on `eligible` as things stand: the award's sanctions and the pool read now.

    What this claim itself already holds (when a letter is being corrected) is left out of both
    the award's sanctions and the pool's use: the correction reverses it.
    """
    rule_set = claim.rule_set
    own = ledger.balance("sanction", pool=POOL, claim_type=CLAIM_TYPE, claim_id=str(claim.pk))
    earlier = (
        CapitalSubsidyClaim.objects.filter(
            award_id=claim.award_id, status__in=(Status.SANCTIONED, Status.NIL)
        )
        .exclude(pk=claim.pk)
        .aggregate(total=Sum("verified_eligible"))["total"]
    )
    return engine.subsidy(
        earlier_eligible=earlier or Decimal("0"),
        eligible=eligible,
        pct=rule_set.capital_subsidy_pct,
        capacity_mtpa=claim.allocated_mtpa,
        slabs=slabs_of(rule_set),
        already_sanctioned=ledger.sanctioned(POOL, claim.award) - own,
        pool_left=ledger.pool_headroom(rule_set, POOL) + own,
    )


def estimate(claim: CapitalSubsidyClaim) -> engine.Subsidy | None:
    """The figure the claim would get if sanctioned now (the sanction recomputes it under the lock)."""
    if claim.line_count == 0 or claim.status in (Status.REJECTED, Status.SANCTIONED, Status.NIL):
        return None
    eligible = (
        claim.verified_eligible if claim.verified_eligible is not None else claim.eligible_total
    )
    return figure(claim, eligible=eligible)


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(CapitalSubsidyClaim, claims_visible_to)
