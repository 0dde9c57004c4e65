"""The REPM scheme as notified in S.O. 5800(E) of 15 Dec 2025 (SCHEME.md), version 1 of its rules."""

import datetime
from decimal import Decimal

from django.db import migrations

CRORE = Decimal(10_000_000)

RULES_V1 = {
    "version": 1,
    "effective_from": datetime.date(2025, 12, 15),
    "notification": "S.O. 5800(E)",
    "notified_on": datetime.date(2025, 12, 15),
    "summary": (
        "Scheme as notified. Public: outlay, pools, capacity, ceiling rate, 40 % turnover cap, "
        "net-worth slabs, capital subsidy 15 % with the 600 and 1,200 MTPA caps, IREL oxide. "
        "Portal defaults where the record is silent: tie-break order, partial award, taper 1.0, "
        "85 % provisional share, PBG Rs 5 crore per 100 MTPA, 0.1 %/day delay penalty, "
        "middle slabs, service levels, recovery interest, unit-value band, claim window."
    ),
    "total_outlay": 7280 * CRORE,
    "sli_pool": 6450 * CRORE,
    "capital_subsidy_pool": 750 * CRORE,
    "admin_pool": 80 * CRORE,
    "target_capacity_mtpa": 6000,
    "max_beneficiaries": 5,
    "min_capacity_mtpa": 600,
    "max_capacity_mtpa": 1200,
    "capacity_step_mtpa": 100,
    "gestation_months": 24,
    "sli_months": 60,
    "consortium_lead_min_pct": Decimal("51.0000"),
    "sli_ceiling_rate": Decimal("2150.00"),
    "tie_break": ["capacity_desc", "net_worth_desc", "submitted_at_asc"],
    "irel_oxide_mtpa": Decimal("500.000"),
    "irel_oxide_winners": 3,
    "oxide_split": "pro_rata",
    "magnet_per_tonne_oxide": Decimal("3.00"),
    "pbg_per_100_mtpa": 5 * CRORE,
    "pbg_validity_extra_months": 6,
    "delay_penalty_pct_per_day": Decimal("0.1000"),
    "capital_subsidy_pct": Decimal("15.0000"),
    "capital_investment_from": datetime.date(2025, 4, 1),
    "turnover_cap_pct": Decimal("40.0000"),
    "taper": [Decimal("1.0000")] * 5,
    "provisional_share_pct": Decimal("85.0000"),
    "unit_value_min": Decimal("1000.00"),
    "unit_value_max": Decimal("25000.00"),
    "claim_window_days": 90,
    "verification_sla_days": 60,
    "payment_sla_days": 30,
    "recovery_interest_pct": Decimal("8.0000"),
}

# (from, to MTPA, minimum net worth, capital subsidy cap, minimum eligible investment), in crore
SLABS_V1 = [
    (600, 600, 180, 75, 300),
    (700, 800, 245, 100, 400),
    (900, 1000, 310, 125, 500),
    (1100, 1200, 375, 150, 600),
]


def load_scheme(Scheme, RuleSet, CapacitySlab):
    """Create the scheme and its notified rules; also used by tests after a table flush."""
    scheme = Scheme.objects.create(
        code="REPM",
        name="Scheme to Promote Manufacturing of Sintered Rare Earth Permanent Magnets",
        ministry="Ministry of Heavy Industries",
    )
    rules = RuleSet.objects.create(scheme=scheme, **RULES_V1)
    CapacitySlab.objects.bulk_create(
        CapacitySlab(
            rule_set=rules,
            min_capacity_mtpa=low,
            max_capacity_mtpa=high,
            min_net_worth=net_worth * CRORE,
            capital_subsidy_cap=cap * CRORE,
            min_investment=investment * CRORE,
        )
        for low, high, net_worth, cap, investment in SLABS_V1
    )
    return rules


def load(apps, schema_editor):
    load_scheme(*(apps.get_model("repm_portal", m) for m in ("Scheme", "RuleSet", "CapacitySlab")))


class Migration(migrations.Migration):
    dependencies = [("repm_portal", "0002_append_only_triggers")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
