"""The evidence bundle's layout: its file names, the register's columns, and the register derived
from sanctions.json. Pure (no Django, no ORM): the builder and `verify_bundle` share it, so the
register a bundle carries and the one a check derives are made by one function.

docs/evidence-bundle.md describes every file and field for an auditor's own tools.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

FORMAT = "repm-evidence-bundle"
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
SANCTIONS = "sanctions.json"
REGISTER = "register.csv"
README = "README.txt"
RULE_SETS_DIR = "rule_sets"
SLI_INPUTS_DIR = "sli_inputs"
CAPITAL_INPUTS_DIR = "capital_inputs"
WORKING_DIR = "working_sheets"
CLAIMS_DIR = "claims"

# What the two SLI claim kinds register with the sanction pipeline (incentives.sli.models).
SLI_QUARTER = "sli_quarter"
SLI_TRUE_UP = "sli_true_up"
CAPITAL_SUBSIDY = "capital_subsidy"
SLI_POOL = "sli"
CAPITAL_POOL = "capital_subsidy"

REGISTER_COLUMNS = (
    "letter_number",
    "dated",
    "financial_year",
    "pool",
    "claim_kind",
    "claim_id",
    "claim_ref",
    "firm",
    "award",
    "rule_set_version",
    "amount",
    "deducted",
    "payable",
    "paid",
    "pending",
    "payments",
    "utrs",
    "last_paid_on",
    "settled_on",
    "days",
    "payment_sla_days",
    "sla_state",
    "reverses",
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(letter_number: str) -> str:
    """A letter number as a file name: REPM/SLI/2030-31/0003 -> REPM-SLI-2030-31-0003."""
    return _UNSAFE.sub("-", letter_number).strip("-")


def rule_set_path(version: int | str) -> str:
    return f"{RULE_SETS_DIR}/v{version}.json"


def sli_input_path(letter_number: str) -> str:
    return f"{SLI_INPUTS_DIR}/{file_stem(letter_number)}.json"


def capital_input_path(letter_number: str) -> str:
    return f"{CAPITAL_INPUTS_DIR}/{file_stem(letter_number)}.json"


def working_path(letter_number: str) -> str:
    return f"{WORKING_DIR}/{file_stem(letter_number)}.json"


def claim_path(claim_id: int | str) -> str:
    return f"{CLAIMS_DIR}/{claim_id}.json"


def money(value: Decimal) -> str:
    """Rupees as the bundle writes them: plain digits with two places of paise ("1234.50")."""
    return f"{value.quantize(Decimal('0.01')):f}"


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def settled_on(letter: Mapping[str, Any]) -> dt.date | None:
    """The day a letter was settled: paid in full (its last payment), or at issue if all was netted."""
    amount, payable = Decimal(letter["amount"]), Decimal(letter["payable"])
    if amount > 0 and payable == 0:
        return _date(letter["dated"])
    paid = Decimal(letter["paid"])
    if payable > 0 and paid >= payable and letter["payments"]:
        return max(_date(p["paid_on"]) or dt.date.min for p in letter["payments"])
    return None


def sla_state(letter: Mapping[str, Any], days: int) -> str:
    """As the portal's payment position names it: nil, paid, overdue, part-paid or pending."""
    if Decimal(letter["amount"]) == 0:
        return "nil"
    if Decimal(letter["pending"]) <= 0:
        return "paid"
    if days > int(letter["payment_sla_days"]):
        return "overdue"
    return "part-paid" if Decimal(letter["paid"]) > 0 else "pending"


def register_row(letter: Mapping[str, Any], *, as_of: dt.date) -> list[str]:
    """One register line from one letter of sanctions.json, every cell as text."""
    dated = _date(letter["dated"]) or as_of
    settled = settled_on(letter)
    days = max(0, ((settled or as_of) - dated).days)
    payments: Sequence[Mapping[str, Any]] = letter["payments"]
    last = max((p["paid_on"] for p in payments), default="")
    return [
        letter["number"],
        letter["dated"],
        letter["financial_year"],
        letter["pool"],
        letter["claim_kind"],
        str(letter["claim_id"]),
        letter.get("claim_ref", ""),
        letter["firm"]["name"],
        letter["award"]["label"],
        str(letter["rule_set_version"]),
        letter["amount"],
        letter["deducted"],
        letter["payable"],
        letter["paid"],
        letter["pending"],
        str(len(payments)),
        "; ".join(p["utr"] for p in payments),
        last,
        settled.isoformat() if settled else "",
        str(days),
        str(letter["payment_sla_days"]),
        sla_state(letter, days),
        letter.get("reverses") or "",
    ]


def register_rows(sanctions: Mapping[str, Any]) -> list[list[str]]:
    """The disbursement register of sanctions.json: one row a letter, in the file's order."""
    as_of = dt.date.fromisoformat(sanctions["as_of"])
    return [register_row(letter, as_of=as_of) for letter in sanctions["letters"]]


__all__ = [
    "CAPITAL_INPUTS_DIR",
    "CAPITAL_POOL",
    "CAPITAL_SUBSIDY",
    "CLAIMS_DIR",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "README",
    "REGISTER",
    "REGISTER_COLUMNS",
    "RULE_SETS_DIR",
    "SANCTIONS",
    "SLI_INPUTS_DIR",
    "SLI_POOL",
    "SLI_QUARTER",
    "SLI_TRUE_UP",
    "WORKING_DIR",
    "capital_input_path",
    "claim_path",
    "file_stem",
    "money",
    "register_row",
    "register_rows",
    "rule_set_path",
    "settled_on",
    "sla_state",
    "sli_input_path",
    "working_path",
]
