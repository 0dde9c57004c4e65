"""Reads for an evidence bundle: a financial year's sanction letters and everything behind them, as
plain JSON values (the bundle's files; docs/evidence-bundle.md names every field).

Nothing here is computed afresh: the figures are the ones of record (the letter, its payments,
the SLI computation stored at sanction, the claim's stored totals and the verifier's
adjustments), so `verify_bundle` recomputing them from the bundle tests what the portal did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from incentives.capital.models import CapitalSubsidyClaim
from incentives.claims.models import Claim, ClaimLine, LineAdjustment
from incentives.claims.selectors import verified_totals
from incentives.evidence import layout
from incentives.models import EntryKind, LedgerEntry, Pool, SanctionLetter
from incentives.sli import selectors as sli_selectors
from incentives.sli.models import SliComputation, TrueUp
from repm_portal.fiscal import FinancialYear
from repm_portal.models import CapacitySlab, RuleSet

ZERO = Decimal("0.00")
Progress = Callable[[str, int], None]


def _text(value: Any) -> Any:
    """One field as JSON: Decimals as plain digit strings, dates as ISO text, lists item by item."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_text(item) for item in value]
    return value


def _person(user: Any) -> str | None:
    return user.username if user is not None else None


# --- rule sets ---------------------------------------------------------------------------------


def rule_set_json(rule_set: RuleSet) -> dict[str, Any]:
    """Every field of the rule-set version, and its capacity slabs."""
    out: dict[str, Any] = {}
    for model_field in RuleSet._meta.concrete_fields:
        if model_field.name == "scheme":
            out["scheme"] = rule_set.scheme.code
        elif model_field.name == "created_by":
            out["created_by"] = _person(rule_set.created_by)
        else:
            out[model_field.name] = _text(getattr(rule_set, model_field.attname))
    out["slabs"] = [
        {
            "min_capacity_mtpa": slab.min_capacity_mtpa,
            "max_capacity_mtpa": slab.max_capacity_mtpa,
            "min_net_worth": _text(slab.min_net_worth),
            "capital_subsidy_cap": _text(slab.capital_subsidy_cap),
            "min_investment": _text(slab.min_investment),
        }
        for slab in CapacitySlab.objects.filter(rule_set=rule_set).order_by("min_capacity_mtpa")
    ]
    return out


# --- letters -----------------------------------------------------------------------------------


def letters_of_year(financial_year: str, pool: str = "") -> list[SanctionLetter]:
    query = SanctionLetter.objects.filter(financial_year=financial_year).select_related(
        "award__tender", "award__bid__firm", "award__bid__consortium", "rule_set", "reverses"
    )
    if pool:
        query = query.filter(pool=pool)
    return list(query.prefetch_related("payments").order_by("serial", "number"))


def _reversed_by(letters: Iterable[SanctionLetter]) -> dict[int, str]:
    return dict(
        SanctionLetter.objects.filter(reverses__in=list(letters)).values_list(
            "reverses_id", "number"
        )
    )


def letter_json(letter: SanctionLetter, *, reversed_by: str | None) -> dict[str, Any]:
    payments = sorted(letter.payments.all(), key=lambda p: (p.paid_on, p.pk))
    paid = sum((p.amount for p in payments), start=ZERO)
    award, firm = letter.award, letter.award.bid.firm
    return {
        "number": letter.number,
        "dated": letter.dated.isoformat(),
        "financial_year": letter.financial_year,
        "pool": letter.pool,
        "claim_kind": letter.claim_type,
        "claim_id": letter.claim_id,
        "claim_ref": letter.content.get("claim_ref", ""),
        "rule_set_version": letter.rule_set.version,
        "award": {
            "id": award.pk,
            "label": f"{award.tender.reference} {award.label}",
            "quoted_rate": _text(award.quoted_rate),
            "allocated_mtpa": award.allocated_mtpa,
        },
        "firm": {"id": firm.pk, "name": firm.legal_name},
        "amount": layout.money(letter.amount),
        "deducted": layout.money(letter.deducted),
        "payable": layout.money(letter.payable),
        "reverses": letter.reverses.number if letter.reverses else None,
        "reversed_by": reversed_by,
        "payments": [
            {"utr": p.utr, "amount": layout.money(p.amount), "paid_on": p.paid_on.isoformat()}
            for p in payments
        ],
        "paid": layout.money(paid),
        "pending": layout.money(letter.payable - paid),
        "payment_sla_days": letter.rule_set.payment_sla_days,
        "pdf_sha256": letter.sha256,
        "sli_input": None,
        "capital_input": None,
        "working_sheet": layout.working_path(letter.number),
        "claims": [],
    }


# --- sales claims ------------------------------------------------------------------------------


def claim_json(claim: Claim) -> dict[str, Any]:
    """A sales claim's filed totals, its files' hashes, the verifier's adjustments, its verified totals."""
    adjustments = list(
        LineAdjustment.objects.filter(claim=claim, upload_id=claim.current_upload_id)
        .select_related("made_by")
        .order_by("id")
    )
    rows = {adjustment.row for adjustment in adjustments}
    filed = {
        line.row: line
        for line in ClaimLine.objects.filter(claim=claim, row__in=rows).only(
            "row", "quantity_kg", "net_sales_value"
        )
    }
    kg, value = verified_totals(claim)
    return {
        "id": claim.pk,
        "award_id": claim.award_id,
        "quarter_label": claim.quarter_label,
        "period_start": claim.period_start.isoformat(),
        "period_end": claim.period_end.isoformat(),
        "status": claim.status,
        "rule_set_version": claim.rule_set.version,
        "filed": {
            "line_count": claim.line_count,
            "eligible_kg": _text(claim.eligible_kg),
            "net_sales_value": _text(claim.net_sales_value),
        },
        "current_upload": claim.current_upload_id,
        "uploads": [
            {
                "id": upload.pk,
                "original_name": upload.original_name,
                "size": upload.size,
                "sha256": upload.sha256,
                "status": upload.status,
                "uploaded_at": upload.uploaded_at.isoformat(),
                "line_count": upload.line_count,
                "eligible_kg": _text(upload.eligible_kg),
                "net_sales_value": _text(upload.net_sales_value),
            }
            for upload in claim.uploads.order_by("uploaded_at", "id")
        ],
        "documents": [
            {
                "kind": document.kind,
                "original_name": document.original_name,
                "size": document.size,
                "sha256": document.sha256,
            }
            for document in claim.documents.order_by("uploaded_at", "id")
        ],
        "adjustments": [
            {
                "id": adjustment.pk,
                "row": adjustment.row,
                "kind": adjustment.kind,
                "filed_kg": _text(filed[adjustment.row].quantity_kg),
                "filed_value": _text(filed[adjustment.row].net_sales_value),
                "corrected_kg": _text(adjustment.quantity_kg),
                "corrected_value": _text(adjustment.net_sales_value),
                "reason": adjustment.reason,
                "made_by": _person(adjustment.made_by),
                "made_at": adjustment.made_at.isoformat(),
            }
            for adjustment in adjustments
        ],
        "verified": {"eligible_kg": _text(kg), "net_sales_value": _text(value)},
    }


def _claims_of(letter: SanctionLetter) -> list[Claim]:
    """The sales claims an SLI letter's input totals: its quarter, or the true-up year's counted ones."""
    related = ("award", "rule_set", "current_upload")
    if letter.claim_type == layout.SLI_QUARTER:
        return list(Claim.objects.filter(pk=int(letter.claim_id)).select_related(*related))
    true_up = TrueUp.objects.select_related("award").filter(pk=int(letter.claim_id)).first()
    if true_up is None:
        return []
    scope = sli_selectors.true_up_scope(
        true_up.award, sli_selectors.financial_year(true_up.financial_year)
    )
    return [] if scope is None else scope.claims


# --- capital subsidy ---------------------------------------------------------------------------


def capital_input(letter: SanctionLetter) -> dict[str, Any] | None:
    """The capital engine's inputs for a letter, rebuilt from the ledger as it stood before it.

    The portal does not freeze these inputs at sanction (the engine reads the award's sanctions
    and the pool's headroom under the pool's lock); they are rebuilt here from the entries
    posted before the letter's own, as `capital.selectors.figure` read them then.
    """
    claim = (
        CapitalSubsidyClaim.objects.select_related("rule_set")
        .filter(pk=int(letter.claim_id))
        .first()
    )
    if claim is None or claim.verified_eligible is None:
        return None
    first = LedgerEntry.objects.filter(letter=letter).order_by("id").values_list("id", flat=True)
    mark = first.first()
    before = LedgerEntry.objects.filter(pool=Pool.CAPITAL_SUBSIDY, account=EntryKind.SANCTION)
    if mark is not None:
        before = before.filter(id__lt=mark)
    total = before.aggregate(t=Sum("amount"))["t"] or ZERO
    award_total = before.filter(award=letter.award).aggregate(t=Sum("amount"))["t"] or ZERO
    own = (
        before.filter(claim_type=letter.claim_type, claim_id=letter.claim_id).aggregate(
            t=Sum("amount")
        )["t"]
        or ZERO
    )
    earlier = (
        CapitalSubsidyClaim.objects.filter(
            award_id=claim.award_id,
            status__in=(CapitalSubsidyClaim.Status.SANCTIONED, CapitalSubsidyClaim.Status.NIL),
            closed_at__lt=letter.created_at,
        )
        .exclude(pk=claim.pk)
        .aggregate(t=Sum("verified_eligible"))["t"]
        or ZERO
    )
    rule_set = letter.rule_set
    return {
        "eligible": _text(claim.verified_eligible),
        "earlier_eligible": _text(earlier),
        "pct": _text(rule_set.capital_subsidy_pct),
        "capacity_mtpa": claim.allocated_mtpa,
        "already_sanctioned": _text(award_total - own),
        "pool_left": _text(rule_set.capital_subsidy_pool - total + own),
        "rule_set_version": rule_set.version,
        "rebuilt_from_ledger_before_entry": mark,
    }


# --- the whole year ----------------------------------------------------------------------------


@dataclasses.dataclass
class Collected:
    """The bundle's JSON files by path (manifest and register excluded), and what they hold."""

    sanctions: dict[str, Any]
    files: dict[str, Any]
    counts: dict[str, int]


def collect(
    *, financial_year: str, pool: str = "", as_of: dt.date, progress: Progress | None = None
) -> Collected:
    FinancialYear(int(financial_year[:4]))  # a label such as 2030-31, or ValueError
    letters = letters_of_year(financial_year, pool)
    reversed_by = _reversed_by(letters)
    computations = {
        c.letter_id: c
        for c in SliComputation.objects.filter(
            letter__in=letters, purpose=SliComputation.Purpose.SANCTION
        )
    }
    files: dict[str, Any] = {}
    rule_sets: dict[int, RuleSet] = {}
    claims: dict[int, Claim] = {}
    entries = []
    counts = {"letters": len(letters), "sli_inputs": 0, "capital_inputs": 0, "payments": 0}
    for index, letter in enumerate(letters, start=1):
        entry = letter_json(letter, reversed_by=reversed_by.get(letter.pk))
        counts["payments"] += len(entry["payments"])
        rule_sets[letter.rule_set.version] = letter.rule_set
        sheet: dict[str, Any] = {
            "letter": letter.number,
            "claim_kind": letter.claim_type,
            "claim_id": letter.claim_id,
            "rule_set_version": letter.rule_set.version,
            "subject": letter.content.get("subject", ""),
            "lines": letter.content.get("lines", []),
        }
        computation = computations.get(letter.pk)
        if letter.pool == Pool.SLI and computation is not None:
            entry["sli_input"] = layout.sli_input_path(letter.number)
            files[entry["sli_input"]] = computation.inputs
            rule_sets[computation.rule_set.version] = computation.rule_set
            sheet["computed_at"] = computation.computed_at.isoformat()
            sheet["ledger_mark"] = computation.ledger_mark
            sheet["working"] = computation.working
            counts["sli_inputs"] += 1
            for claim in _claims_of(letter):
                claims[claim.pk] = claim
                entry["claims"].append(layout.claim_path(claim.pk))
        elif letter.claim_type == layout.CAPITAL_SUBSIDY:
            rebuilt = capital_input(letter)
            if rebuilt is not None:
                entry["capital_input"] = layout.capital_input_path(letter.number)
                files[entry["capital_input"]] = rebuilt
                counts["capital_inputs"] += 1
        files[entry["working_sheet"]] = sheet
        entries.append(entry)
        if progress is not None:
            progress("Collecting the letters", 5 + 60 * index // max(1, len(letters)))
    for index, claim in enumerate(claims.values(), start=1):
        files[layout.claim_path(claim.pk)] = claim_json(claim)
        rule_sets[claim.rule_set.version] = claim.rule_set
        if progress is not None:
            progress("Collecting the claims", 65 + 20 * index // max(1, len(claims)))
    for version, rule_set in sorted(rule_sets.items()):
        files[layout.rule_set_path(version)] = rule_set_json(rule_set)
    counts.update(claims=len(claims), rule_sets=len(rule_sets))
    sanctions = {
        "format": layout.FORMAT,
        "financial_year": financial_year,
        "as_of": as_of.isoformat(),
        "letters": entries,
        "totals": _totals(entries),
    }
    return Collected(sanctions=sanctions, files=files, counts=counts)


def _totals(entries: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {"letters": len(entries)}
    for name in ("amount", "deducted", "payable", "paid", "pending"):
        totals[name] = layout.money(sum((Decimal(e[name]) for e in entries), start=ZERO))
    return totals


__all__ = ["Collected", "capital_input", "claim_json", "collect", "letter_json", "rule_set_json"]
