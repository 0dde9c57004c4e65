"""The sampling method on plain values: reproducible from its seed, the floor met in every stratum."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.sampling import engine


def _population(values_by_award: list[list[Decimal]]) -> list[engine.Item]:
    return [
        engine.Item(
            stratum=f"T/{award:02d} L1",
            award_id=award,
            claim_type="sli_quarter",
            claim_id=str(award * 1000 + n),
            value=value,
        )
        for award, values in enumerate(values_by_award, start=1)
        for n, value in enumerate(values, start=1)
    ]


LARGE = _population([[Decimal("100000.00")] * 200, [Decimal("55555.55")] * 150])
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
strata = st.lists(st.lists(money, min_size=1, max_size=25), min_size=1, max_size=6)
floors = st.decimals(min_value=Decimal("10"), max_value=Decimal("100"), places=2)
seeds = st.text(alphabet="abcdefXYZ0123456789-:/", min_size=1, max_size=64)


def test_the_same_seed_and_population_give_the_same_sample():
    first = engine.draw(LARGE, seed="field-2031", floor_pct=Decimal("10"))
    again = engine.draw(list(reversed(LARGE)), seed="field-2031", floor_pct=Decimal("10"))

    assert first.keys == again.keys
    assert len(first.keys) == 20 + 15  # 10 % of 200 equal claims, and of 150


def test_a_different_seed_gives_a_different_sample_on_a_large_population():
    one = engine.draw(LARGE, seed="field-2031", floor_pct=Decimal("10"))
    other = engine.draw(LARGE, seed="field-2032", floor_pct=Decimal("10"))

    assert set(one.keys) != set(other.keys)
    # each stratum differs, not only one: one generator per stratum, seeded from seed and key
    for a, b in zip(one.strata, other.strata, strict=True):
        assert {p.item.key for p in a.picked} != {p.item.key for p in b.picked}


def test_a_change_in_one_stratum_leaves_the_others_draw_alone():
    base = engine.draw(LARGE, seed="s", floor_pct=Decimal("10"))
    grown = LARGE + _population([[], [], [Decimal("1.00")]])
    redrawn = engine.draw(grown, seed="s", floor_pct=Decimal("10"))

    assert redrawn.strata[0].picked == base.strata[0].picked
    assert redrawn.strata[1].picked == base.strata[1].picked


@settings(max_examples=120, deadline=None)
@given(values=strata, floor=floors, seed=seeds)
def test_the_floor_is_met_in_every_stratum_and_not_overshot(values, floor, seed):
    items = _population(values)
    result = engine.draw(items, seed=seed, floor_pct=floor)

    assert [s.award_id for s in result.strata] == list(range(1, len(values) + 1))
    for stratum, given_values in zip(result.strata, values, strict=True):
        assert stratum.population_value == sum(given_values)
        assert len(stratum.picked) >= 1
        assert stratum.floor_met
        assert stratum.sampled_value * 100 >= floor * stratum.population_value
        assert stratum.sampled_value >= stratum.target_value
        # the draw stops at the floor: without its last claim it would fall short
        short = stratum.sampled_value - stratum.picked[-1].item.value
        assert short * 100 < floor * stratum.population_value
        assert [p.draw_order for p in stratum.picked] == list(range(1, len(stratum.picked) + 1))
        assert len({p.item.key for p in stratum.picked}) == len(stratum.picked)
        assert {p.item for p in stratum.picked} <= set(stratum.population)
    assert engine.draw(list(reversed(items)), seed=seed, floor_pct=floor).keys == result.keys


@settings(max_examples=60, deadline=None)
@given(values=strata, seed=seeds)
def test_a_floor_of_a_hundred_takes_every_claim(values, seed):
    result = engine.draw(_population(values), seed=seed, floor_pct=Decimal("100"))
    assert len(result.keys) == sum(len(v) for v in values)


def test_the_population_hash_is_of_its_content_not_its_order():
    definition = {"financial_year": "2030-31", "kinds": ["sli_quarter"]}
    digest = engine.population_hash(definition, LARGE)

    assert digest == engine.population_hash(definition, list(reversed(LARGE)))
    assert len(digest) == 64
    more = [*LARGE, *_population([[], [], [Decimal("1.00")]])]
    assert engine.population_hash(definition, more) != digest
    changed = [LARGE[0].__class__(**{**vars(LARGE[0]), "value": Decimal("100000.01")}), *LARGE[1:]]
    assert engine.population_hash(definition, changed) != digest
    assert engine.population_hash({**definition, "kinds": ["sli_true_up"]}, LARGE) != digest


def test_an_item_survives_its_stored_form():
    item = engine.Item(
        stratum="T L1", award_id=3, claim_type="sli_quarter", claim_id="12",
        value=Decimal("12.50"), letters=("REPM/SLI/2030-31/0001",),
        payments=(("SBIN0000000001", "2030-06-01", "12.50"),),
    )  # fmt: skip
    assert engine.Item.from_dict(json.loads(json.dumps(item.as_dict()))) == item


def test_claims_in_a_stratum_are_ordered_by_their_number():
    items = _population([[Decimal("1")] * 12])
    assert [i.claim_id for i in engine.canonical(reversed(items))] == [
        str(1000 + n) for n in range(1, 13)
    ]


@pytest.mark.parametrize("floor", [Decimal("0"), Decimal("100.01"), Decimal("-5")])
def test_a_floor_outside_zero_to_a_hundred_is_refused(floor):
    with pytest.raises(ValueError, match="floor"):
        engine.draw(LARGE, seed="s", floor_pct=floor)


def test_a_claim_twice_or_unpaid_is_refused():
    with pytest.raises(ValueError, match="twice"):
        engine.draw([LARGE[0], LARGE[0]], seed="s", floor_pct=Decimal("10"))
    unpaid = engine.Item("T L1", 1, "sli_quarter", "1", Decimal("0.00"))
    with pytest.raises(ValueError, match="paid"):
        engine.draw([unpaid], seed="s", floor_pct=Decimal("10"))
