"""Check an evidence bundle from the bundle alone: every figure recomputed, every mismatch named.

Pure: it reads the zip and imports only the engines (`incentives.sli.engine` and `inputs`,
`incentives.capital.engine`) and the layout; no Django model, no database. `check(data)` returns
a `Report` whose findings each name a file, a figure, the bundle's value and the recomputed one:

    sanctions.json: REPM/SLI/2030-31/0003 amount: bundle 1234.00, recomputed 1230.00

docs/evidence-bundle.md lists what is checked and what cannot be.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from incentives.capital import engine as capital_engine
from incentives.evidence import layout
from incentives.sli import engine as sli_engine
from incentives.sli import inputs as sli_inputs
from repm_portal.exports import safe_cell

# A file of the wrong shape (a key missing, a list where an object belongs) is a finding, not a crash.
_SHAPE = (KeyError, TypeError, AttributeError, IndexError)
# The SLI claim kinds and the engine's period kinds they compute.
_PERIOD_KIND = {layout.SLI_QUARTER: "quarter", layout.SLI_TRUE_UP: "true_up"}


@dataclass(frozen=True)
class Finding:
    """One mismatch: the file and figure, the bundle's value and what it was recomputed as."""

    file: str
    figure: str
    bundle: str = ""
    recomputed: str = ""
    word: str = "recomputed"  # how the second value was found: recomputed, from <file>
    message: str = ""  # for what has no second value (a file missing, a value unreadable)

    def __str__(self) -> str:
        if self.message:
            return f"{self.file}: {self.figure}: {self.message}"
        return f"{self.file}: {self.figure}: bundle {self.bundle}, {self.word} {self.recomputed}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def ok(self) -> bool:
        return not self.findings


class _Bad(Exception):
    """A file or value the check cannot read at all; recorded as a finding, the check goes on."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding))
        self.finding = finding


def _number(value: Any, file: str, figure: str) -> Decimal:
    try:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidOperation
        number = Decimal(value)
        if not number.is_finite():
            raise InvalidOperation
        return number
    except (InvalidOperation, ValueError):
        raise _Bad(Finding(file, figure, message=f"{value!r} is not a decimal number")) from None


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class _Checker:
    def __init__(self, archive: zipfile.ZipFile, report: Report) -> None:
        self.archive = archive
        self.report = report
        self.names = set(archive.namelist())
        self.json_cache: dict[str, Any] = {}

    # --- helpers --------------------------------------------------------------------------

    def add(self, finding: Finding) -> None:
        self.report.findings.append(finding)

    def read(self, path: str) -> bytes:
        if path not in self.names:
            raise _Bad(Finding(path, "file", message="is missing from the bundle"))
        return self.archive.read(path)

    def json(self, path: str) -> Any:
        if path not in self.json_cache:
            try:
                self.json_cache[path] = json.loads(self.read(path).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise _Bad(Finding(path, "file", message=f"is not JSON: {error}")) from None
        return self.json_cache[path]

    def same(
        self, file: str, figure: str, bundle: Any, recomputed: Any, *, word: str = "recomputed"
    ) -> bool:
        """Compare two figures as numbers when both are numbers, else as text; record a mismatch."""
        try:
            equal = _number(bundle, file, figure) == _number(recomputed, file, figure)
        except _Bad:
            equal = bundle == recomputed
        if not equal:
            self.add(Finding(file, figure, _shown(bundle), _shown(recomputed), word))
        return equal

    # --- 1 the manifest -------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        manifest = self.json(layout.MANIFEST)
        if manifest.get("format") != layout.FORMAT:
            self.add(
                Finding(layout.MANIFEST, "format", message=f"{manifest.get('format')!r} is not "
                        f"{layout.FORMAT!r}")
            )  # fmt: skip
        if manifest.get("format_version") != layout.FORMAT_VERSION:
            self.add(
                Finding(layout.MANIFEST, "format_version", _shown(manifest.get("format_version")),
                        str(layout.FORMAT_VERSION), "this checker reads")
            )  # fmt: skip
        listed = set()
        for item in manifest.get("files", []):
            path = item.get("path", "")
            listed.add(path)
            if path not in self.names:
                self.add(Finding(path, "file", message="is listed in manifest.json but missing"))
                continue
            data = self.archive.read(path)
            self.same(path, "size", item.get("size"), len(data))
            digest = hashlib.sha256(data).hexdigest()
            if item.get("sha256") != digest:
                self.add(Finding(path, "sha256", item.get("sha256", ""), digest))
            self.report.counts["files"] += 1
        for path in sorted(self.names - listed - {layout.MANIFEST}):
            if not path.endswith("/"):
                self.add(Finding(path, "file", message="is in the bundle but not in manifest.json"))
        return manifest

    # --- 2 each letter --------------------------------------------------------------------

    def letter(self, letter: Mapping[str, Any]) -> None:
        number = letter.get("number", "?")
        here = layout.SANCTIONS

        def fig(name: str) -> str:
            return f"{number} {name}"

        amount = _number(letter["amount"], here, fig("amount"))
        deducted = _number(letter["deducted"], here, fig("deducted"))
        self.same(here, fig("payable"), letter["payable"], layout.money(amount - deducted))
        if not 0 <= deducted <= amount:
            self.add(Finding(here, fig("deducted"), message="is not between 0 and the amount"))
        paid = sum(
            (_number(p["amount"], here, fig(f"payments[{i}].amount"))
             for i, p in enumerate(letter["payments"])),
            start=Decimal(0),
        )  # fmt: skip
        self.report.counts["payments"] += len(letter["payments"])
        self.same(here, fig("paid"), letter["paid"], layout.money(paid))
        payable = _number(letter["payable"], here, fig("payable"))
        self.same(here, fig("pending"), letter["pending"], layout.money(payable - paid))
        if paid > payable:
            self.add(Finding(here, fig("paid"), message="is more than the payable"))
        rules = self.rule_set(letter["rule_set_version"])
        if rules is not None:
            self.same(
                here, fig("payment_sla_days"), letter["payment_sla_days"],
                rules.get("payment_sla_days"), word=f"from {layout.rule_set_path(letter['rule_set_version'])}",
            )  # fmt: skip
        if letter["claim_kind"] in _PERIOD_KIND:
            self.sli(letter, amount=amount, deducted=deducted, payable=payable)
        elif letter["claim_kind"] == layout.CAPITAL_SUBSIDY and letter.get("capital_input"):
            self.capital(letter, amount=amount)
        self.report.counts["letters"] += 1

    def rule_set(self, version: Any) -> dict[str, Any] | None:
        path = layout.rule_set_path(version)
        try:
            return self.json(path)
        except _Bad as bad:
            self.add(bad.finding)
            return None

    # --- 3 an SLI letter through the engine -----------------------------------------------

    def sli(self, letter: Mapping[str, Any], *, amount: Decimal, deducted: Decimal,
            payable: Decimal) -> None:  # fmt: skip
        number, here = letter["number"], layout.SANCTIONS
        path = letter.get("sli_input")
        if not path:
            self.add(Finding(here, f"{number} sli_input", message="an SLI letter names no input"))
            return
        try:
            period = sli_inputs.parse_json(self.read(path))
        except sli_engine.SliInputError as error:
            self.add(Finding(path, error.key, message=error.reason))
            return
        result = sli_engine.compute(period)
        self.report.counts["sli_replayed"] += 1
        self.same(here, f"{number} amount", layout.money(amount), f"{result.released:f}")
        self.same(
            here, f"{number} deducted", layout.money(deducted), f"{result.deduction_applied:f}"
        )
        self.same(here, f"{number} payable", layout.money(payable), f"{result.payable:f}")
        self.same(path, "kind", period.kind.value, _PERIOD_KIND[letter["claim_kind"]],
                  word=f"from {here} claim_kind")  # fmt: skip
        award = letter["award"]
        self.same(path, "rate", f"{period.rate:f}", award["quoted_rate"],
                  word=f"from {here} {number} award.quoted_rate")  # fmt: skip
        self.same(path, "capacity_mtpa", period.capacity_mtpa, award["allocated_mtpa"],
                  word=f"from {here} {number} award.allocated_mtpa")  # fmt: skip
        self.sli_rules(path, period.rules, letter["rule_set_version"])
        self.sli_working(letter, result)
        self.sli_claims(letter, path, period)

    def sli_rules(self, path: str, rules: sli_engine.SliRules, version: Any) -> None:
        stored = self.rule_set(version)
        if stored is None:
            return
        word = f"from {layout.rule_set_path(version)}"
        for name in ("turnover_cap_pct", "provisional_share_pct", "sli_pool"):
            self.same(
                path, f"rules.{name}", f"{getattr(rules, name):f}", stored.get(name), word=word
            )
        taper = stored.get("taper") or []
        if len(taper) != len(rules.taper):
            self.add(Finding(path, "rules.taper", str(len(rules.taper)) + " years",
                             str(len(taper)) + " years", word))  # fmt: skip
        for i, (used, kept) in enumerate(zip(rules.taper, taper, strict=False)):
            self.same(path, f"rules.taper[{i}]", f"{used:f}", kept, word=word)
        months = stored.get("sli_months")
        if isinstance(months, int):
            self.same(path, "rules.award_cap_years", rules.award_cap_years, -(-months // 12),
                      word=f"{word} sli_months / 12, rounded up")  # fmt: skip

    def sli_working(self, letter: Mapping[str, Any], result: sli_engine.SliResult) -> None:
        path = letter["working_sheet"]
        try:
            sheet = self.json(path)
        except _Bad as bad:
            self.add(bad.finding)
            return
        stored = sheet.get("working")
        if not isinstance(stored, dict):
            self.add(Finding(path, "working", message="an SLI working sheet has no working"))
            return
        recomputed = _flat(result.as_dict())
        kept = _flat(stored)
        for key in sorted(kept.keys() | recomputed.keys(), key=lambda k: (k.count("["), k)):
            if kept.get(key, "(missing)") != recomputed.get(key, "(missing)"):
                self.add(Finding(path, f"working.{key}", _shown(kept.get(key, "(missing)")),
                                 _shown(recomputed.get(key, "(missing)"))))  # fmt: skip

    def sli_claims(
        self, letter: Mapping[str, Any], path: str, period: sli_engine.SliPeriod
    ) -> None:
        claims = letter.get("claims") or []
        if not claims:
            self.add(Finding(layout.SANCTIONS, f"{letter['number']} claims",
                             message="an SLI letter names no sales claim"))  # fmt: skip
            return
        kg, value = Decimal(0), Decimal(0)
        for claim_path in claims:
            try:
                verified = self.claim(claim_path)
            except _Bad as bad:
                self.add(bad.finding)
                return
            kg += verified[0]
            value += verified[1]
        word = "from " + (claims[0] if len(claims) == 1 else f"the sum of {', '.join(claims)}")
        self.same(path, "eligible_kg", f"{period.eligible_kg:f}", f"{kg:f}", word=word)
        self.same(path, "net_sales_value", f"{period.net_sales_value:f}", f"{value:f}", word=word)

    # --- 4 a sales claim's totals ----------------------------------------------------------

    def claim(self, path: str) -> tuple[Decimal, Decimal]:
        """The claim's verified totals recomputed from its filed totals and adjustments (once)."""
        cached = self.json_cache.get(f"verified:{path}")
        if cached is not None:
            return cached
        claim = self.json(path)
        filed = claim["filed"]
        kg = _number(filed["eligible_kg"], path, "filed.eligible_kg")
        value = _number(filed["net_sales_value"], path, "filed.net_sales_value")
        current = [
            u for u in claim.get("uploads", []) if u.get("id") == claim.get("current_upload")
        ]
        if not current:
            self.add(Finding(path, "current_upload", message="names no upload of the claim"))
        else:
            upload = current[0]
            self.same(path, "filed.eligible_kg", filed["eligible_kg"], upload.get("eligible_kg"),
                      word=f"from uploads[id={upload['id']}]")  # fmt: skip
            self.same(path, "filed.net_sales_value", filed["net_sales_value"],
                      upload.get("net_sales_value"), word=f"from uploads[id={upload['id']}]")  # fmt: skip
            self.same(path, "filed.line_count", filed["line_count"], upload.get("line_count"),
                      word=f"from uploads[id={upload['id']}]")  # fmt: skip
        latest: dict[int, Mapping[str, Any]] = {}
        for adjustment in sorted(claim.get("adjustments", []), key=lambda a: a["id"]):
            latest[adjustment["row"]] = adjustment
        for row, adjustment in sorted(latest.items()):
            where = f"adjustments[row={row}]"
            filed_kg = _number(adjustment["filed_kg"], path, f"{where}.filed_kg")
            filed_value = _number(adjustment["filed_value"], path, f"{where}.filed_value")
            if adjustment["kind"] == "exclude":
                kg -= filed_kg
                value -= filed_value
            elif adjustment["kind"] == "correct":
                if adjustment.get("corrected_kg") is not None:
                    kg += (
                        _number(adjustment["corrected_kg"], path, f"{where}.corrected_kg")
                        - filed_kg
                    )
                if adjustment.get("corrected_value") is not None:
                    value += (
                        _number(adjustment["corrected_value"], path, f"{where}.corrected_value")
                        - filed_value
                    )
        verified = claim["verified"]
        self.same(path, "verified.eligible_kg", verified["eligible_kg"], f"{kg:f}")
        self.same(path, "verified.net_sales_value", verified["net_sales_value"], f"{value:f}")
        self.report.counts["claims"] += 1
        result = (kg, value)
        self.json_cache[f"verified:{path}"] = result
        return result

    # --- 5 a capital subsidy letter through its engine -------------------------------------

    def capital(self, letter: Mapping[str, Any], *, amount: Decimal) -> None:
        path = letter["capital_input"]
        data = self.json(path)
        version = data.get("rule_set_version")
        stored = self.rule_set(version)
        if stored is None:
            return
        word = f"from {layout.rule_set_path(version)}"
        self.same(path, "pct", data["pct"], stored.get("capital_subsidy_pct"), word=word)
        self.same(path, "capacity_mtpa", data["capacity_mtpa"],
                  letter["award"]["allocated_mtpa"], word=f"from {layout.SANCTIONS} award")  # fmt: skip
        slabs = [
            capital_engine.Slab(
                min_capacity_mtpa=int(s["min_capacity_mtpa"]),
                max_capacity_mtpa=int(s["max_capacity_mtpa"]),
                cap=_number(s["capital_subsidy_cap"], word, "slabs.capital_subsidy_cap"),
                min_investment=_number(s["min_investment"], word, "slabs.min_investment"),
            )
            for s in stored.get("slabs", [])
        ]
        try:
            figure = capital_engine.subsidy(
                eligible=_number(data["eligible"], path, "eligible"),
                earlier_eligible=_number(data["earlier_eligible"], path, "earlier_eligible"),
                pct=_number(data["pct"], path, "pct"),
                capacity_mtpa=int(data["capacity_mtpa"]),
                slabs=slabs,
                already_sanctioned=_number(data["already_sanctioned"], path, "already_sanctioned"),
                pool_left=_number(data["pool_left"], path, "pool_left"),
            )
        except ValueError as error:
            self.add(Finding(path, "input", message=str(error)))
            return
        self.report.counts["capital_replayed"] += 1
        self.same(layout.SANCTIONS, f"{letter['number']} amount", layout.money(amount),
                  layout.money(figure.amount))  # fmt: skip

    # --- 6 totals and the register ----------------------------------------------------------

    def totals(self, sanctions: Mapping[str, Any]) -> None:
        letters, totals = sanctions["letters"], sanctions.get("totals", {})
        self.same(layout.SANCTIONS, "totals.letters", totals.get("letters"), len(letters))
        for name in ("amount", "deducted", "payable", "paid", "pending"):
            total = sum(
                (_number(e[name], layout.SANCTIONS, f"{e['number']} {name}") for e in letters),
                start=Decimal(0),
            )
            self.same(layout.SANCTIONS, f"totals.{name}", totals.get(name), layout.money(total))

    def register(self, sanctions: Mapping[str, Any]) -> None:
        text = self.read(layout.REGISTER).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        word = f"from {layout.SANCTIONS}"
        if tuple(header) != layout.REGISTER_COLUMNS:
            self.add(Finding(layout.REGISTER, "header", ",".join(header),
                             ",".join(layout.REGISTER_COLUMNS), "expected"))  # fmt: skip
            return
        derived = [
            [str(safe_cell(cell)) for cell in row] for row in layout.register_rows(sanctions)
        ]
        if len(body) != len(derived):
            self.add(Finding(layout.REGISTER, "rows", str(len(body)), str(len(derived)), word))
        for index, (row, expected) in enumerate(zip(body, derived, strict=False), start=2):
            for column, cell, wanted in zip(layout.REGISTER_COLUMNS, row, expected, strict=False):
                if cell != wanted:
                    self.add(Finding(layout.REGISTER, f"row {index} ({expected[0]}) {column}",
                                     cell, wanted, word))  # fmt: skip
            self.report.counts["register_rows"] += 1


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a JSON value by its path, as `incentives.sli.replay` names them."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(_flat(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def check(data: bytes) -> Report:
    """Check a bundle given as the zip's bytes; every finding, none when it holds together."""
    report = Report()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        report.findings.append(Finding("bundle", "zip", message=f"is not a zip file: {error}"))
        return report
    with archive:
        checker = _Checker(archive, report)
        try:
            checker.manifest()
            sanctions = checker.json(layout.SANCTIONS)
            if not isinstance(sanctions, dict):
                raise _Bad(Finding(layout.SANCTIONS, "file", message="is not a JSON object"))
        except _Bad as bad:
            report.findings.append(bad.finding)
            return report
        except _SHAPE as error:
            report.findings.append(Finding(layout.MANIFEST, "file", message=f"lacks {error}"))
            return report
        for letter in sanctions.get("letters", []):
            try:
                checker.letter(letter)
            except _Bad as bad:
                report.findings.append(bad.finding)
            except _SHAPE as error:
                report.findings.append(
                    Finding(
                        layout.SANCTIONS, f"{letter.get('number', '?')}", message=f"lacks {error}"
                    )
                )
        for name in sorted(checker.names):
            if name.startswith(layout.CLAIMS_DIR + "/") and name.endswith(".json"):
                try:
                    checker.claim(name)
                except _Bad as bad:
                    report.findings.append(bad.finding)
                except _SHAPE as error:
                    report.findings.append(Finding(name, "file", message=f"lacks {error}"))
        for step in (checker.totals, checker.register):
            try:
                step(sanctions)
            except _Bad as bad:
                report.findings.append(bad.finding)
            except _SHAPE as error:
                report.findings.append(Finding(layout.SANCTIONS, "file", message=f"lacks {error}"))
        report.counts["rule_sets"] = sum(
            1 for n in checker.names if n.startswith(layout.RULE_SETS_DIR + "/")
        )
    return report


def findings(data: bytes) -> list[Finding]:
    """The bundle's mismatches, each naming its file and figure; empty when every figure agrees."""
    return check(data).findings


__all__ = ["Finding", "Report", "check", "findings"]
