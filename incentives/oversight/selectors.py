"""Reads behind the auditors' exports, each scoped to the roles that may export (auditors, officials,
administrators): the letters of the disbursement register with their payments and ledger figures,
the figures of record behind them, the guarantees, and the export runs."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import Count, DecimalField, F, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bidding.models import Award, PerformanceBankGuarantee
from incentives.models import EntryKind, LedgerEntry, Payment, SanctionLetter
from incentives.oversight.models import ExportRun
from repm_portal.models import AuditEvent
from repm_portal.roles import AnyUser, Role, require_role

ZERO = Decimal("0.00")
EXPORTERS = (Role.AUDITOR, Role.OFFICIAL, Role.ADMIN)
MONEY_FIELD: DecimalField = DecimalField(max_digits=16, decimal_places=2)


def require_exporter(user: AnyUser) -> None:
    require_role(user, *EXPORTERS, action="export the scheme's registers")


def _per_letter(query: QuerySet, column: str, aggregate: Callable[[str], Any]) -> Subquery:
    """One aggregate of rows naming the letter, as a scalar subquery (no GROUP BY on the letters)."""
    return Subquery(
        query.filter(letter=OuterRef("pk"))
        .order_by()
        .values("letter")
        .annotate(value=aggregate(column))
        .values("value")[:1]
    )


def register_letters(user: AnyUser) -> QuerySet[SanctionLetter]:
    """Every sanction letter with its payments and what the ledger holds against it, in letter order.

    The payment and ledger figures are scalar subqueries, so the letters stream in chunks without
    a GROUP BY over the whole register.
    """
    require_exporter(user)
    payments = Payment.objects.all()
    entries = LedgerEntry.objects.all()
    money = MONEY_FIELD
    return (
        SanctionLetter.objects.select_related(
            "award__tender", "award__bid__firm", "award__bid__consortium", "rule_set", "reverses"
        )
        .annotate(
            paid=Coalesce(_per_letter(payments, "amount", Sum), Value(ZERO), output_field=money),
            payment_count=Coalesce(_per_letter(payments, "id", Count), Value(0)),
            last_paid_on=_per_letter(payments, "paid_on", Max),
            utrs=_per_letter(payments, "utr", _utr_list),
            ledger_sanctioned=Coalesce(
                _per_letter(entries.filter(account=EntryKind.SANCTION), "amount", Sum),
                Value(ZERO),
                output_field=money,
            ),
            ledger_netted=Coalesce(
                _per_letter(entries.filter(kind=EntryKind.NETTING), "amount", Sum),
                Value(ZERO),
                output_field=money,
            ),
            reversed_by_number=Subquery(
                SanctionLetter.objects.filter(reverses=OuterRef("pk")).values("number")[:1]
            ),
        )
        .order_by("financial_year", "series__prefix", "serial", "id")
    )


def _utr_list(column: str) -> StringAgg:
    return StringAgg(column, delimiter=" ", order_by=(F("paid_on"), F("id")))


def guarantees(user: AnyUser) -> QuerySet[PerformanceBankGuarantee]:
    require_exporter(user)
    return (
        PerformanceBankGuarantee.objects.select_related(
            "award__tender", "award__bid__firm", "award__bid__consortium", "closed_by"
        )
        .annotate(
            extension_count=Count("extensions", distinct=True),
            last_amendment=Max("extensions__amendment_reference"),
        )
        .order_by("valid_until", "id")
    )


def audit_events(user: AnyUser) -> QuerySet[AuditEvent]:
    require_exporter(user)
    return AuditEvent.objects.order_by("id")


def awards(user: AnyUser) -> QuerySet[Award]:
    require_exporter(user)
    return Award.objects.select_related("tender", "bid__firm", "bid__consortium").order_by(
        "tender__reference", "rank"
    )


def financial_years() -> list[str]:
    years = SanctionLetter.objects.order_by().values_list("financial_year", flat=True).distinct()
    return sorted(years)


def claim_kinds() -> list[str]:
    kinds = SanctionLetter.objects.order_by().values_list("claim_type", flat=True).distinct()
    return sorted(kinds)


def runs_visible_to(user: AnyUser) -> QuerySet[ExportRun]:
    """Every export run: they are the scheme's, not their requester's, so every exporter sees them."""
    require_exporter(user)
    return ExportRun.objects.select_related("requested_by")


__all__ = [
    "EXPORTERS",
    "audit_events",
    "awards",
    "claim_kinds",
    "financial_years",
    "guarantees",
    "register_letters",
    "require_exporter",
    "runs_visible_to",
]
