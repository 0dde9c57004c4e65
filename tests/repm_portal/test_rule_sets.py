"""Scheme rules as versioned data: the notified version, amendments as new versions, invariants in the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from repm_portal import selectors, services
from repm_portal.models import AuditEvent, CapacitySlab, RuleSet
from repm_portal.money import crore

AMEND = {
    "effective_from": dt.date(2026, 8, 21),
    "notification": "S.O. 9999(E)",
    "notified_on": dt.date(2026, 8, 21),
    "summary": "Longer claim window",
}


@pytest.mark.django_db
def test_the_notified_rule_set_carries_every_number_of_the_scheme(rules):
    # then the public and default figures of SCHEME.md are loaded as version 1
    assert rules.version == 1 and rules.notification == "S.O. 5800(E)"
    assert rules.total_outlay == crore(7280)
    assert (rules.sli_pool, rules.capital_subsidy_pool, rules.admin_pool) == (
        crore(6450),
        crore(750),
        crore(80),
    )
    assert (rules.min_capacity_mtpa, rules.max_capacity_mtpa, rules.capacity_step_mtpa) == (
        600,
        1200,
        100,
    )
    assert rules.target_capacity_mtpa == 6000 and rules.max_beneficiaries == 5
    assert rules.sli_ceiling_rate == Decimal("2150.00")
    assert rules.turnover_cap_pct == 40 and rules.provisional_share_pct == 85
    assert rules.taper == [Decimal("1.0000")] * 5
    assert rules.pbg_per_100_mtpa == crore(5) and rules.delay_penalty_pct_per_day == Decimal("0.1")
    assert rules.irel_oxide_mtpa == 500 and rules.irel_oxide_winners == 3
    assert (rules.gestation_months, rules.sli_months) == (24, 60)
    assert rules.capital_investment_from == dt.date(2025, 4, 1)
    assert rules.tie_break == ["capacity_desc", "net_worth_desc", "submitted_at_asc"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("capacity", "net_worth", "cap", "investment"),
    [
        (600, 180, 75, 300),
        (700, 245, 100, 400),
        (800, 245, 100, 400),
        (1000, 310, 125, 500),
        (1200, 375, 150, 600),
    ],
)
def test_slab_for_capacity_at_each_edge(rules, capacity, net_worth, cap, investment):
    slab = rules.slab_for_capacity(capacity)
    assert (slab.min_net_worth, slab.capital_subsidy_cap, slab.min_investment) == (
        crore(net_worth),
        crore(cap),
        crore(investment),
    )


@pytest.mark.django_db
def test_no_slab_outside_the_capacity_range(rules):
    with pytest.raises(ValueError, match=r"1,300|1300"):
        rules.slab_for_capacity(1300)


@pytest.mark.django_db
def test_an_amendment_is_a_new_version_and_the_old_one_stays(users, rules):
    # when an official amends the claim window and one slab's cap
    slabs = [
        {"min_capacity_mtpa": s.min_capacity_mtpa, "max_capacity_mtpa": s.max_capacity_mtpa,
         "min_net_worth": s.min_net_worth, "capital_subsidy_cap": s.capital_subsidy_cap,
         "min_investment": s.min_investment}
        for s in rules.slabs.all()
    ]  # fmt: skip
    slabs[1]["capital_subsidy_cap"] = crore(110)
    v2 = services.amend_rule_set(
        actor=users["official"], changes={"claim_window_days": 120}, slabs=slabs, **AMEND
    )
    # then version 2 exists with the change, version 1 is untouched
    rules.refresh_from_db()
    assert (v2.version, v2.claim_window_days, rules.claim_window_days) == (2, 120, 90)
    # and the diff names exactly what changed
    diff = {c.name: (c.old, c.new) for c in selectors.rule_set_diff(rules, v2)}
    assert diff == {
        "claim_window_days": (90, 120),
        "slab 700-800 MTPA:capital_subsidy_cap": (crore(100), crore(110)),
    }
    # and the version in force depends on the date
    assert selectors.rule_set_in_force(on=dt.date(2026, 8, 20)).version == 1
    assert selectors.rule_set_in_force(on=dt.date(2026, 8, 21)).version == 2
    # and it is in the audit trail with old and new values
    event = AuditEvent.objects.get(action="rule_set.amended")
    assert (
        event.old_values["claim_window_days"] == 90 and event.new_values["claim_window_days"] == 120
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"changes": {}}, "changes nothing"),
        (
            {"changes": {"claim_window_days": 120}, "effective_from": dt.date(2025, 12, 15)},
            "after version 1",
        ),
        ({"changes": {"no_such_rule": 1}}, "Not a rule-set parameter: no_such_rule"),
        ({"changes": {"sli_pool": crore(7000)}}, "pools_within_outlay|outlay"),
        ({"changes": {"min_capacity_mtpa": 1300}}, "capacity"),
        ({"changes": {"turnover_cap_pct": Decimal("140")}}, "percentages|range"),
    ],
)
def test_a_bad_amendment_gives_a_clear_error_and_creates_nothing(users, rules, kwargs, message):
    args = AMEND | kwargs
    with pytest.raises(ValidationError, match=message):
        services.amend_rule_set(actor=users["official"], **args)
    assert RuleSet.objects.count() == 1
    assert not AuditEvent.objects.filter(action="rule_set.amended").exists()


@pytest.mark.django_db
def test_slabs_with_a_gap_are_refused(users, rules):
    slabs = [
        {
            "min_capacity_mtpa": 600,
            "max_capacity_mtpa": 600,
            "min_net_worth": 1,
            "capital_subsidy_cap": 1,
            "min_investment": 1,
        },
        {
            "min_capacity_mtpa": 800,
            "max_capacity_mtpa": 1200,
            "min_net_worth": 1,
            "capital_subsidy_cap": 1,
            "min_investment": 1,
        },
    ]
    with pytest.raises(ValidationError, match="run on from 700"):
        services.amend_rule_set(
            actor=users["official"], changes={"claim_window_days": 100}, slabs=slabs, **AMEND
        )
    assert RuleSet.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["firm_user", "evaluator", "verifier", "approver", "auditor"])
def test_only_officials_and_administrators_amend(users, rules, role):
    with pytest.raises(PermissionDenied):
        services.amend_rule_set(actor=users[role], changes={"claim_window_days": 120}, **AMEND)
    assert RuleSet.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_to_edit_or_delete_a_rule_set(rules):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        RuleSet.objects.filter(pk=rules.pk).update(sli_ceiling_rate=Decimal("9999"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CapacitySlab.objects.filter(rule_set=rules).update(min_net_worth=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CapacitySlab.objects.filter(rule_set=rules).delete()
    rules.refresh_from_db()
    assert rules.sli_ceiling_rate == Decimal("2150.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"sli_pool": crore(7300)}, "ruleset_pools_within_outlay"),
        ({"min_capacity_mtpa": 1300}, "ruleset_capacity_bounds_ordered"),
        ({"min_capacity_mtpa": 650}, "ruleset_capacity_bounds_on_step"),
        ({"unit_value_max": Decimal("10")}, "ruleset_unit_value_band_ordered"),
        ({"provisional_share_pct": Decimal("0")}, "ruleset_percentages_in_range"),
    ],
)
def test_invariants_hold_in_the_database_and_in_full_clean(rules, changes, constraint):
    # given a copy of v1 with one invariant broken
    values = {f.name: getattr(rules, f.name) for f in selectors.parameter_fields()} | changes
    bad = RuleSet(
        scheme=rules.scheme, version=9, effective_from=dt.date(2030, 1, 1), notification="x",
        notified_on=dt.date(2030, 1, 1), summary="x", **values,
    )  # fmt: skip
    # then model validation refuses it
    with pytest.raises(ValidationError, match=constraint):
        bad.full_clean()
    # and so does the database when validation is skipped
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        bad.save()
