"""The pure engine: slab picking, the subsidy at each slab edge, the pool and the award's cap, and line judging."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from incentives.capital import engine
from incentives.capital.engine import Slab
from repm_portal.money import crore

# Rule set v1 as notified (SCHEME.md section 3).
SLABS = [
    Slab(600, 600, crore(75), crore(300)),
    Slab(700, 800, crore(100), crore(400)),
    Slab(900, 1000, crore(125), crore(500)),
    Slab(1100, 1200, crore(150), crore(600)),
]
PCT = Decimal("15.0000")
POOL = crore(750)


def figure(eligible, capacity, *, already=Decimal("0"), pool=POOL, earlier=Decimal("0")):
    return engine.subsidy(
        eligible=eligible,
        earlier_eligible=earlier,
        pct=PCT,
        capacity_mtpa=capacity,
        slabs=SLABS,
        already_sanctioned=already,
        pool_left=pool,
    )


@pytest.mark.parametrize(
    ("capacity", "minimum", "cap"),
    [(600, 300, 75), (800, 400, 100), (1000, 500, 125), (1200, 600, 150)],
)
def test_each_slab_edge_nothing_just_under_the_minimum_and_the_rate_at_it(capacity, minimum, cap):
    just_under = figure(crore(minimum) - Decimal("0.01"), capacity)
    at_minimum = figure(crore(minimum), capacity)
    just_over = figure(crore(minimum) + Decimal("0.01"), capacity)

    assert just_under.amount == Decimal("0.00")
    assert just_under.binding == engine.BELOW_MINIMUM
    assert at_minimum.amount == crore(minimum) * Decimal("0.15")
    assert at_minimum.binding == engine.RATE
    assert just_over.amount == crore(minimum) * Decimal("0.15")  # 0.0015 rounds away
    assert at_minimum.slab.cap == crore(cap)


@pytest.mark.parametrize(("capacity", "cap"), [(600, 75), (800, 100), (1000, 125), (1200, 150)])
def test_the_slab_cap_binds_from_where_the_rate_reaches_it(capacity, cap):
    at_cap = figure(crore(cap) / Decimal("0.15"), capacity)  # 15 % is exactly the cap
    past = figure(crore(cap) / Decimal("0.15") + crore(1), capacity)

    assert at_cap.amount == crore(cap)
    assert at_cap.binding == engine.RATE  # a tie goes to the rate, the first limit named
    assert past.amount == crore(cap)
    assert past.binding == engine.SLAB_CAP


def test_the_cap_counts_what_the_award_already_has():
    result = figure(crore(1000), 1200, already=crore(140), earlier=crore(1000))

    assert result.cap_left == crore(10)
    assert result.amount == crore(10)
    assert result.binding == engine.SLAB_CAP


def test_a_later_claim_gets_the_rate_on_its_own_investment():
    result = figure(crore(100), 1200, already=crore(120), earlier=crore(800))

    assert result.rate_left == crore(15)
    assert result.amount == crore(15)
    assert result.binding == engine.RATE


def test_a_top_up_past_the_minimum_gets_the_rate_on_the_whole():
    earlier_nil = figure(crore(500), 1200)
    top_up = figure(crore(200), 1200, earlier=crore(500))

    assert earlier_nil.amount == Decimal("0.00") and earlier_nil.below_minimum
    assert top_up.amount == crore(105)
    assert (
        "Eligible investment, all claims",
        "Rs 7,00,00,00,000.00",
        "Rs 700.00 crore",
    ) in top_up.lines()


def test_an_award_at_its_cap_gets_nothing_more():
    result = figure(crore(1000), 1200, already=crore(150), earlier=crore(1000))

    assert result.amount == Decimal("0.00")
    assert result.binding == engine.SLAB_CAP


def test_a_pool_nearly_spent_pays_what_is_left():
    result = figure(crore(700), 1200, pool=Decimal("12345.67"))

    assert result.amount == Decimal("12345.67")
    assert result.binding == engine.POOL


def test_a_spent_pool_pays_nothing():
    result = figure(crore(700), 1200, pool=Decimal("0.00"))

    assert result.amount == Decimal("0.00")
    assert result.binding == engine.POOL


def test_rounding_happens_once_at_the_end():
    # 15 % of three 3-paise lines is 1.35 paise: rounded once it is 1 paisa; rounded line by line, 0.
    eligible = crore(600) + Decimal("0.03") + Decimal("0.03") + Decimal("0.03")
    result = figure(eligible, 1200)

    assert result.at_rate == eligible * PCT / 100  # exact until the end
    assert result.amount == Decimal("900000000.01")


def test_nothing_eligible_is_nil_whatever_the_slab():
    result = figure(Decimal("0"), 600)

    assert result.amount == Decimal("0.00")
    assert result.binding == engine.NOTHING_ELIGIBLE


def test_negative_inputs_are_refused():
    with pytest.raises(ValueError, match="negative"):
        figure(Decimal("-1"), 600)


@pytest.mark.parametrize(
    ("capacity", "slab_from"),
    [(600, 600), (700, 700), (800, 700), (900, 900), (1100, 1100), (1200, 1100)],
)
def test_slab_for_holds_both_bounds(capacity, slab_from):
    assert engine.slab_for(capacity, SLABS).min_capacity_mtpa == slab_from


def test_a_capacity_between_slabs_takes_the_lower_slab():
    gappy = [Slab(600, 600, crore(75), crore(300)), Slab(800, 800, crore(100), crore(400))]

    assert engine.slab_for(700, gappy).min_capacity_mtpa == 600


@pytest.mark.parametrize("capacity", [500, 1300])
def test_a_capacity_outside_every_slab_is_an_error(capacity):
    with pytest.raises(ValueError, match="No capital subsidy slab"):
        engine.slab_for(capacity, SLABS)


def test_the_working_names_every_limit_and_the_figure_applied():
    result = figure(crore(700), 800)
    lines = result.lines()
    labels = [label for label, _, _ in lines]

    assert labels[0] == "Allocated capacity" and lines[0][1] == "800 MTPA"
    assert lines[0][2] == "slab 700-800 MTPA"
    assert "Slab cap" in labels and "Left in the capital subsidy pool" in labels
    assert lines[-1] == ("Capital subsidy payable", "Rs 1,00,00,00,000.00", "the slab cap left")


def judge(rows, *, claimed_before=None):
    frame = pd.DataFrame(
        rows, columns=["head", "invoice_date", "duplicate_key"], index=range(2, 2 + len(rows))
    )
    return engine.judge_lines(
        frame, eligible_from=dt.date(2025, 4, 1), claimed_before=claimed_before or {}
    )


def test_judging_gives_every_reason_that_applies():
    verdict = judge(
        [
            ("plant_machinery", dt.date(2027, 1, 1), "a|1"),
            ("other", dt.date(2027, 1, 1), "a|2"),
            ("rnd", dt.date(2025, 3, 31), "a|3"),
            ("technology_transfer", dt.date(2025, 4, 1), "a|1"),
            ("other", dt.date(2024, 1, 1), "b|9"),
        ],
        claimed_before={"b|9": "CS/T/L1/1"},
    )

    assert verdict["eligible"].tolist() == [True, False, False, False, False]
    assert "Head 'other' is not eligible" in verdict.loc[3, "reason"]
    assert verdict.loc[4, "reason"].startswith("Dated before 1 Apr 2025")
    assert verdict.loc[5, "reason"] == "Repeats the vendor and invoice number of row 2"
    assert verdict.loc[6, "reason"].count("; ") == 2
    assert verdict.loc[6, "reason"].endswith("Already claimed in claim CS/T/L1/1")


def test_the_eligible_from_date_itself_is_eligible():
    assert judge([("rnd", dt.date(2025, 4, 1), "x|1")])["eligible"].tolist() == [True]


def test_eligible_total_is_exact():
    amounts = [Decimal("0.10")] * 10 + [Decimal("5")]

    assert engine.eligible_total(amounts, [True] * 10 + [False]) == Decimal("1.00")
