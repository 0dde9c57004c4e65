"""One SLI figure as the portal keeps it: the engine run on frozen inputs, its letter lines, and its stored row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bidding.models import Award
from incentives import sanctions
from incentives.claims.models import Claim
from incentives.models import SanctionLetter
from incentives.sli import engine, inputs
from incentives.sli.models import PreviewRun, SliComputation, TrueUp
from repm_portal.models import RuleSet
from repm_portal.money import format_indian_number, format_inr

# How a letter names each step's figure.
STEP_LABELS = {
    "capped_kg": "Eligible kg within the capacity cap",
    "gross": "Rate x taper x kg",
    "after_turnover_cap": "Within the turnover cap",
    "after_award_cap": "Within the award's cap",
    "after_pool": "Within the SLI pool",
    "release": "Released",
    "after_deductions": "After deductions",
    "payable": "Payable",
}


@dataclass(frozen=True)
class Figure:
    """The engine's result on one input, with both in the `sli_compute` JSON form."""

    period: engine.SliPeriod
    result: engine.SliResult
    inputs: dict[str, Any]
    working: dict[str, Any]

    @property
    def release(self) -> Decimal:
        return self.result.released

    def as_dict(self) -> dict[str, Any]:
        """What `sli_compute` prints for this input: the working, then the input."""
        return {**self.working, "input": self.inputs}


def figure_of(period: engine.SliPeriod) -> Figure:
    result = engine.compute(period)
    return Figure(
        period=period,
        result=result,
        inputs=inputs.as_json_dict(period),
        working=result.as_dict(),
    )


def replay(stored_inputs: dict[str, Any]) -> Figure:
    """The figure the engine gives on stored inputs (SliInputError if they no longer parse)."""
    return figure_of(inputs.parse(stored_inputs))


def _shown(step: engine.SliStep) -> str:
    if step.name == "capped_kg":
        return f"{format_indian_number(Decimal(step.value), places=3)} kg"
    return format_inr(Decimal(step.value))


def letter_lines(figure: Figure) -> list[sanctions.Line]:
    """Every step of the working as a letter line: its figure, its note and the rule-set field it read."""
    return [
        sanctions.Line(
            f"{step.step}. {STEP_LABELS.get(step.name, step.name)}",
            _shown(step),
            step.note + (f" [rule set: {step.rule}]" if step.rule else ""),
        )
        for step in figure.result.steps
    ]


def store(
    figure: Figure,
    *,
    purpose: str,
    award: Award,
    rule_set: RuleSet,
    ledger_mark: int,
    computed_at: dt.datetime,
    claim: Claim | None = None,
    true_up: TrueUp | None = None,
    letter: SanctionLetter | None = None,
    preview_run: PreviewRun | None = None,
) -> SliComputation:
    """Write the figure's row, once: the database refuses to change it afterwards."""
    result = figure.result
    return SliComputation.objects.create(
        kind=figure.period.kind.value,
        purpose=purpose,
        claim=claim,
        true_up=true_up,
        award=award,
        rule_set=rule_set,
        inputs=figure.inputs,
        working=figure.working,
        release=result.released,
        payable=result.payable,
        recovery=result.recovery,
        ledger_mark=ledger_mark,
        letter=letter,
        preview_run=preview_run,
        computed_at=computed_at,
    )


__all__ = ["STEP_LABELS", "Figure", "figure_of", "letter_lines", "replay", "store"]
