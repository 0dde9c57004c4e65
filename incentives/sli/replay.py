"""Replaying a sanctioned SLI figure: from its stored inputs, and from the database as it stood.

`recompute(ref)` takes a sanctioned figure (a sales claim id, `true-up:<id>`, or a sanction letter
number) and checks it three ways, field by field: the engine run again on the stored input gives
the stored working; the letter carries the working's release and deduction; and the inputs rebuilt
from the database (the claim's verified totals, the ledger up to the entry the figure read, the
rule-set version it recorded) are the stored ones. Amendments made since never enter a replay: it
runs on the version recorded with the figure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from incentives.claims.models import Claim
from incentives.models import SanctionLetter
from incentives.sli import figures, selectors
from incentives.sli.engine import SliInputError
from incentives.sli.models import SliComputation, TrueUp

TRUE_UP_PREFIX = "true-up:"


class BadReference(LookupError):
    """A reference that names no sanctioned SLI figure."""


@dataclass(frozen=True)
class Difference:
    check: str  # "replay", "letter" or "database"
    field: str  # as the JSON spells it: "eligible_kg", "rules.taper[2]", "steps[3].value"
    recorded: str
    found: str

    def __str__(self) -> str:
        return f"{self.check}: {self.field}: recorded {self.recorded!r}, found {self.found!r}"


@dataclass
class Report:
    ref: str
    computation: SliComputation
    differences: list[Difference] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def resolve(ref: str) -> SliComputation:
    """The figure of record a reference names; BadReference if it names none."""
    ref = ref.strip()
    sanctioned = SliComputation.objects.filter(purpose=SliComputation.Purpose.SANCTION)
    sanctioned = sanctioned.select_related("claim__award", "true_up__award", "letter", "rule_set")
    if ref.isdigit():
        claim = Claim.objects.filter(pk=int(ref)).first()
        if claim is None:
            raise BadReference(f"no sales claim {ref}")
        found = sanctioned.filter(claim=claim).order_by("-id").first()
        if found is None:
            raise BadReference(f"sales claim {ref} has no sanctioned SLI figure")
        return found
    if ref.startswith(TRUE_UP_PREFIX):
        number = ref[len(TRUE_UP_PREFIX) :]
        true_up = TrueUp.objects.filter(pk=int(number)).first() if number.isdigit() else None
        if true_up is None:
            raise BadReference(f"no true-up {number!r}")
        found = sanctioned.filter(true_up=true_up).order_by("-id").first()
        if found is None:
            raise BadReference(f"true-up {number} is not settled yet")
        return found
    letter = SanctionLetter.objects.filter(number=ref).first()
    if letter is None:
        raise BadReference(
            f"{ref!r} is not a sales claim id, true-up:<id> or sanction letter number"
        )
    found = sanctioned.filter(letter=letter).first()
    if found is None:
        raise BadReference(f"letter {ref} is not a sales-linked incentive letter")
    return found


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
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


def compare(check: str, recorded: dict[str, Any], found: dict[str, Any]) -> list[Difference]:
    """Every leaf that differs between two JSON values, named by its path."""
    left, right = _flat(recorded), _flat(found)
    return [
        Difference(check, key, str(left.get(key, "(missing)")), str(right.get(key, "(missing)")))
        for key in sorted(left.keys() | right.keys(), key=lambda k: (k.count("["), k))
        if left.get(key, "(missing)") != right.get(key, "(missing)")
    ]


def _letter_differences(computation: SliComputation) -> list[Difference]:
    letter = computation.letter
    if letter is None:
        return []
    working = computation.working
    pairs = [
        ("letter.amount", f"{letter.amount:f}", working.get("release")),
        ("letter.deducted", f"{letter.deducted:f}", working.get("deduction_applied")),
        ("letter.payable", f"{letter.payable:f}", working.get("payable")),
        ("letter.rule_set", str(letter.rule_set.version), str(computation.rule_set.version)),
    ]
    return [
        Difference("letter", name, str(found), on_letter)
        for name, on_letter, found in pairs
        if on_letter != found
    ]


def rebuilt_figure(computation: SliComputation) -> figures.Figure:
    """The figure from the database as the computation saw it: its ledger mark and rule set."""
    mark, rule_set = computation.ledger_mark, computation.rule_set
    if computation.claim_id is not None:
        claim = Claim.objects.select_related("award__plant", "rule_set").get(
            pk=computation.claim_id
        )
        return figures.figure_of(selectors.period_input(claim, as_of=mark, rule_set=rule_set))
    true_up = computation.true_up
    if true_up is None:  # the model's check says a figure names its claim or its true-up
        raise BadReference(f"SLI computation {computation.pk} names no claim")
    scope = selectors.true_up_scope(true_up.award, selectors.financial_year(true_up.financial_year))
    if scope is None:
        raise BadReference(f"true-up {true_up.pk} has no approved claim left to rebuild from")
    scope = dataclasses.replace(scope, rule_set=rule_set)
    return figures.figure_of(selectors.true_up_input(scope, true_up_id=true_up.pk, as_of=mark))


def recompute(ref: str) -> Report:
    """Replay the figure `ref` names and rebuild it from the database; every difference, by field."""
    computation = resolve(ref)
    report = Report(ref=ref, computation=computation)
    try:
        replayed = figures.replay(computation.inputs)
    except SliInputError as error:
        report.differences.append(Difference("replay", error.key, "(stored)", error.reason))
    else:
        report.differences += compare("replay", computation.working, replayed.working)
    report.checked.append("the engine on the stored input gives the stored working")
    report.differences += _letter_differences(computation)
    if computation.letter is not None:
        report.checked.append(f"letter {computation.letter.number} carries the working's figures")
    rebuilt = rebuilt_figure(computation)
    report.differences += compare("database", computation.inputs, rebuilt.inputs)
    report.differences += [
        dataclasses.replace(difference, check="database", field=f"working.{difference.field}")
        for difference in compare("working", computation.working, rebuilt.working)
        if difference.field in ("release", "deduction_applied", "payable", "recovery")
    ]
    report.checked.append(
        f"the inputs rebuilt from the database (ledger to entry {computation.ledger_mark}, "
        f"rule set v{computation.rule_set.version}) are the stored ones"
    )
    return report


__all__ = ["BadReference", "Difference", "Report", "compare", "recompute", "resolve"]
