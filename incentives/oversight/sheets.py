"""The exports as sheets: a title, columns and rows read lazily, plus the lines that state what it is.

Every sheet is built from the asking user, the filters and the day its service-level counts run
to; its rows are a generator over `.iterator(chunk_size=...)`, so a CSV streams and an XLSX is
written without the whole register in memory. The figures come from what the portal already
stores (the ledger, the letters' frozen content, the SLI figures of record with their working):
nothing here recomputes a sanction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters import FilterSet

from beneficiaries.models import User
from incentives import selectors as money_selectors
from incentives.capital.models import CapitalSubsidyClaim
from incentives.capital.selectors import CLAIM_TYPE as CAPITAL_CLAIM_TYPE
from incentives.capital.selectors import lines_of
from incentives.claims.selectors import adjustments_of
from incentives.models import SanctionLetter
from incentives.oversight import selectors
from incentives.oversight.filters import GuaranteeFilter, LetterFilter
from incentives.oversight.models import ExportRun
from incentives.sli.figures import STEP_LABELS
from incentives.sli.models import QUARTER_CLAIM_TYPE, TRUE_UP_CLAIM_TYPE, SliComputation
from repm_portal import audit
from repm_portal.filters import AuditEventFilter
from repm_portal.models import AuditEvent

CHUNK = 2000
Kind = ExportRun.Kind
Row = list[Any]


@dataclass(frozen=True)
class Sheet:
    kind: str
    title: str
    columns: list[str]
    filters: str  # the filters in words
    rows: Callable[[], Iterator[Row]]
    count: Callable[[], int]
    statement: list[tuple[str, str]] = field(default_factory=list)  # e.g. the chain check
    count_label: str = "Rows"


def person(user: Any) -> str:
    """A person as the exports name them: username (role)."""
    if user is None:
        return "system"
    role = user.get_role_display() if getattr(user, "role", "") else "no role"
    return f"{user.get_username()} ({role})"


def _filtered(filterset_class, params: dict[str, str], queryset: QuerySet) -> tuple[QuerySet, str]:
    """The queryset filtered as asked, and the filters in words; a bad filter changes nothing."""
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in filterset.errors.items()}
        raise ValidationError(errors)
    words = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, ""):
            continue
        label = filterset.filters[name].label or name
        choices = dict(getattr(filterset.form.fields[name], "choices", []) or [])
        shown = choices.get(value, value) if isinstance(value, str) else value
        words.append(f"{label}: {shown}")
    return filterset.qs, "; ".join(words) or "none (everything)"


# --- the disbursement register ------------------------------------------------------------------

REGISTER_COLUMNS = [
    "letter_number", "dated", "financial_year", "status", "pool", "kind", "claim_id", "award",
    "award_id", "firm", "rule_set_version", "sanctioned", "deducted", "payable", "reverses",
    "reversed_by", "ledger_sanctioned", "ledger_netted", "payment_count", "paid", "utrs",
    "last_paid_on", "pending", "state", "days", "service_level_days", "days_left", "settled_on",
]  # fmt: skip


# Read as plain values, not model instances: a row is one dict, not a letter, award, tender, bid,
# firm and rule set each, which is what keeps a large register fast and small while it streams.
REGISTER_VALUES = (
    "number", "dated", "financial_year", "status", "pool", "claim_type", "claim_id", "award_id",
    "award__tender__reference", "award__rank", "award__bid__firm__legal_name",
    "award__bid__consortium__name", "rule_set__version", "rule_set__payment_sla_days", "amount",
    "deducted", "reverses__number", "reversed_by_number", "ledger_sanctioned", "ledger_netted",
    "payment_count", "paid", "utrs", "last_paid_on",
)  # fmt: skip
LETTER_STATUS = dict(SanctionLetter.Status.choices)


def _as_letter(values: dict[str, Any]) -> SanctionLetter:
    """What `payment_position` reads of a letter, from the register's values (no instance built)."""
    letter = SimpleNamespace(
        amount=values["amount"], deducted=values["deducted"],
        payable=values["amount"] - values["deducted"], dated=values["dated"], paid=values["paid"],
        last_paid_on=values["last_paid_on"],
        rule_set=SimpleNamespace(payment_sla_days=values["rule_set__payment_sla_days"]),
    )  # fmt: skip
    return cast(SanctionLetter, letter)


def register_row(values: dict[str, Any], today: dt.date) -> Row:
    """One letter (as `register_letters` reads it) as the register shows it; a letter corrected by
    a later one has nothing pending."""
    position = money_selectors.payment_position(_as_letter(values), today=today)
    superseded = bool(values["reversed_by_number"])
    pending = money_selectors.ZERO if superseded else position.pending
    firm = values["award__bid__consortium__name"] or values["award__bid__firm__legal_name"]
    return [
        values["number"], values["dated"], values["financial_year"],
        LETTER_STATUS.get(values["status"], values["status"]), values["pool"],
        values["claim_type"], values["claim_id"],
        f"{values['award__tender__reference']} L{values['award__rank']}", values["award_id"], firm,
        values["rule_set__version"], values["amount"], values["deducted"], position.payable,
        values["reverses__number"] or "", values["reversed_by_number"] or "",
        values["ledger_sanctioned"], -values["ledger_netted"], values["payment_count"],
        values["paid"], values["utrs"] or "", values["last_paid_on"] or "", pending,
        "superseded" if superseded else position.state, position.days, position.sla_days,
        position.days_left, position.settled_on or "",
    ]  # fmt: skip


def register(user: Any, params: dict[str, str], today: dt.date) -> Sheet:
    letters, words = _filtered(LetterFilter, params, selectors.register_letters(user))
    return Sheet(
        kind=Kind.REGISTER,
        title="Disbursement register",
        columns=REGISTER_COLUMNS,
        filters=words,
        rows=lambda: (
            register_row(values, today)
            for values in letters.values(*REGISTER_VALUES).iterator(chunk_size=CHUNK)
        ),
        count=letters.count,
        statement=[("Service-level days counted to", today.isoformat())],
    )


# --- the claim working sheets -------------------------------------------------------------------

WORKING_COLUMNS = [
    "letter_number", "financial_year", "pool", "kind", "claim", "award", "firm",
    "rule_set_version", "section", "order", "item", "value", "binding", "note", "rule_field",
    "by", "at",
]  # fmt: skip
SLI_TYPES = (QUARTER_CLAIM_TYPE, TRUE_UP_CLAIM_TYPE)
RESULT_FIELDS = ("release", "deduction_applied", "deduction_carried", "payable", "recovery")


def _flat(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """A stored input's leaves, named as the JSON spells them (rules.taper[2])."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flat(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for i, item in enumerate(value):
            yield from _flat(item, f"{prefix}[{i}]")
    elif isinstance(value, list):
        yield prefix, ", ".join(str(item) for item in value)
    else:
        yield prefix, value


def _line(
    section: str,
    order: int,
    item: str,
    value: Any,
    *,
    binding: str = "",
    note: str = "",
    rule: str = "",
    by: str = "",
    at: Any = "",
) -> tuple:
    """One working-sheet line after the letter's columns (section ... at)."""
    return (section, order, item, value, binding, note, rule, by, at)


def _sli_rows(computation: SliComputation) -> Iterator[tuple]:
    """section, order, item, value, binding, note, rule field, by, at: one figure of record."""
    rule_set = computation.rule_set
    yield _line("rule set", 1, "version", rule_set.version, note=rule_set.notification)
    for order, (key, value) in enumerate(_flat(computation.inputs), start=1):
        yield _line("input", order, key, value)
    if computation.claim is not None:
        for order, adj in enumerate(adjustments_of(computation.claim), start=1):
            change = "; ".join(
                f"{name} {value}"
                for name, value in (("kg", adj.quantity_kg), ("net value", adj.net_sales_value))
                if value is not None
            )
            item = f"row {adj.row}: {adj.get_kind_display().lower()}"
            yield _line(
                "adjustment", order, item, change, note=adj.reason, by=person(adj.made_by),
                at=adj.made_at,
            )  # fmt: skip
    for step in computation.working.get("steps", []):
        label = STEP_LABELS.get(step["name"], step["name"])
        yield _line(
            "step", step["step"], f"{label} ({step['name']})", step["value"],
            binding="yes" if step.get("binding") else "no", note=step.get("note", ""),
            rule=step.get("rule") or "",
        )  # fmt: skip
    for order, name in enumerate(RESULT_FIELDS, start=1):
        yield _line("result", order, name, computation.working.get(name, ""))


def _capital_rows(letter: SanctionLetter) -> Iterator[tuple]:
    claim = CapitalSubsidyClaim.objects.filter(pk=int(letter.claim_id)).first()
    yield _line(
        "rule set", 1, "version", letter.rule_set.version, note=letter.rule_set.notification
    )
    if claim is not None:
        inputs = [
            ("reference", claim.reference), ("allocated_mtpa", claim.allocated_mtpa),
            ("line_count", claim.line_count), ("claimed_total", claim.claimed_total),
            ("eligible_total", claim.eligible_total), ("verified_eligible", claim.verified_eligible),
        ]  # fmt: skip
        for order, (key, value) in enumerate(inputs, start=1):
            yield _line("input", order, key, value)
        lines = lines_of(claim).select_related("excluded_by")
        for order, line in enumerate(lines.filter(excluded=True), start=1):
            yield _line(
                "adjustment", order, f"row {line.row_number}: excluded", line.amount,
                note=line.exclusion_reason, by=person(line.excluded_by), at=line.excluded_at,
            )  # fmt: skip
        for order, line in enumerate(lines.filter(eligible=False), start=1):
            yield _line(
                "ineligible", order, f"row {line.row_number}: {line.item}", line.amount,
                note=line.reason, by="the portal's checks",
            )  # fmt: skip
    yield from _letter_lines(letter)


def _letter_lines(letter: SanctionLetter) -> Iterator[tuple]:
    """The working as the letter was issued with it (its frozen content), then its result."""
    for order, line in enumerate(letter.content.get("lines", []), start=1):
        yield _line(
            "step", order, line.get("label", ""), line.get("value", ""), note=line.get("note", "")
        )
    result = [
        ("release", letter.amount), ("deduction_applied", letter.deducted),
        ("payable", letter.payable),
    ]  # fmt: skip
    for order, (name, value) in enumerate(result, start=1):
        yield _line("result", order, name, value)


def working_rows(letter: SanctionLetter) -> Iterator[Row]:
    award = letter.award
    head = [
        letter.number, letter.financial_year, letter.pool, letter.claim_type, letter.claim_id,
        f"{award.tender.reference} {award.label}", award.bid.bidder_name, letter.rule_set.version,
    ]  # fmt: skip
    if letter.claim_type in SLI_TYPES:
        records = list(letter.sli_computations.all())
        body = _sli_rows(records[0]) if records else _letter_lines(letter)
    elif letter.claim_type == CAPITAL_CLAIM_TYPE:
        body = _capital_rows(letter)
    else:
        body = _letter_lines(letter)
    for cells in body:
        yield head + list(cells)


def working(user: Any, params: dict[str, str], today: dt.date) -> Sheet:
    letters, words = _filtered(LetterFilter, params, selectors.register_letters(user))
    with_figures = letters.prefetch_related("sli_computations__rule_set", "sli_computations__claim")

    def rows() -> Iterator[Row]:
        for letter in with_figures.iterator(chunk_size=200):
            yield from working_rows(letter)

    return Sheet(
        kind=Kind.WORKING,
        title="Claim working sheets",
        columns=WORKING_COLUMNS,
        filters=words,
        rows=rows,
        count=letters.count,
        count_label="Sanction letters covered",
    )


# --- the audit trail -----------------------------------------------------------------------------

AUDIT_COLUMNS = [
    "id", "occurred_at", "actor_label", "action", "object_type", "object_id", "object_repr",
    "old_values", "new_values", "prev_hash", "row_hash",
]  # fmt: skip


def _json(value: Any) -> str:
    import json

    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def audit_row(event: AuditEvent) -> Row:
    return [
        event.id, event.occurred_at.isoformat(), event.actor_label, event.action,
        event.object_type, event.object_id, event.object_repr, _json(event.old_values),
        _json(event.new_values), event.prev_hash, event.row_hash,
    ]  # fmt: skip


def chain_statement() -> tuple[str, str]:
    report = audit.verify_chain()
    verdict = "intact" if report.intact else f"BROKEN at row {report.first_broken_id}"
    return ("Chain check", f"{verdict}: {report.reason} ({report.rows_checked} rows checked)")


def audit_trail(user: Any, params: dict[str, str], today: dt.date) -> Sheet:
    events, words = _filtered(AuditEventFilter, params, selectors.audit_events(user))
    return Sheet(
        kind=Kind.AUDIT,
        title="Audit trail",
        columns=AUDIT_COLUMNS,
        filters=words,
        rows=lambda: (audit_row(e) for e in events.iterator(chunk_size=CHUNK)),
        count=events.count,
        statement=[chain_statement()],
    )


# --- the bank guarantee register ----------------------------------------------------------------

GUARANTEE_COLUMNS = [
    "award", "award_id", "firm", "bank", "guarantee_number", "amount", "issued_on", "valid_until",
    "status", "extensions", "last_amendment", "closed_on", "closed_by", "closing_reason",
    "invoked_amount", "days_to_expiry",
]  # fmt: skip


def guarantee_row(guarantee: Any, today: dt.date) -> Row:
    award = guarantee.award
    live = guarantee.status == guarantee.Status.ACTIVE
    return [
        f"{award.tender.reference} {award.label}", award.pk, award.bid.bidder_name,
        guarantee.bank_name, guarantee.guarantee_number, guarantee.amount, guarantee.issued_on,
        guarantee.valid_until, guarantee.get_status_display(), guarantee.extension_count,
        guarantee.last_amendment or "", guarantee.closed_at.date() if guarantee.closed_at else "",
        person(guarantee.closed_by) if guarantee.closed_by else "", guarantee.closing_reason,
        guarantee.invoked_amount if guarantee.invoked_amount is not None else "",
        (guarantee.valid_until - today).days if live else "",
    ]  # fmt: skip


def guarantee_register(user: Any, params: dict[str, str], today: dt.date) -> Sheet:
    rows, words = _filtered(GuaranteeFilter, params, selectors.guarantees(user))
    return Sheet(
        kind=Kind.GUARANTEES,
        title="Bank guarantee register",
        columns=GUARANTEE_COLUMNS,
        filters=words,
        rows=lambda: (guarantee_row(g, today) for g in rows.iterator(chunk_size=CHUNK)),
        count=rows.count,
        statement=[("Days to expiry counted from", today.isoformat())],
    )


BUILDERS: dict[str, Callable[[Any, dict[str, str], dt.date], Sheet]] = {
    Kind.REGISTER: register,
    Kind.WORKING: working,
    Kind.AUDIT: audit_trail,
    Kind.GUARANTEES: guarantee_register,
}
FILTERS: dict[str, type[FilterSet]] = {
    Kind.REGISTER: LetterFilter,
    Kind.WORKING: LetterFilter,
    Kind.AUDIT: AuditEventFilter,
    Kind.GUARANTEES: GuaranteeFilter,
}


def build(kind: str, user: User | Any, params: dict[str, str], today: dt.date) -> Sheet:
    """The sheet of `kind` for `user` under `params`; ValidationError for a bad filter."""
    if kind not in BUILDERS:
        raise ValidationError({"kind": [f"There is no export called {kind!r}."]})
    return BUILDERS[kind](user, params, today)


def clean_params(kind: str, data: Any) -> dict[str, str]:
    """Only the filters the export knows, non-empty, as strings (what a run stores)."""
    names = FILTERS[kind].base_filters.keys() if kind in FILTERS else []
    return {name: str(data[name]) for name in names if data.get(name) not in (None, "")}
