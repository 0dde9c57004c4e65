"""Domestic demand as context data on the rule set: its default, its check, and the pages that show it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from repm_portal.models import default_domestic_demand, validate_domestic_demand
from repm_portal.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_default_rises_from_4010_to_8220_tonnes_by_2030_and_holds():
    demand = default_domestic_demand()
    assert demand["2025-26"] == 4010 and demand["2029-30"] == 8220
    assert [demand[y] for y in ("2026-27", "2027-28", "2028-29")] == [5063, 6115, 7168]
    assert demand["2034-35"] == 8220


def test_the_notified_rule_set_carries_the_default(rules):
    assert rules.domestic_demand_tonnes == default_domestic_demand()


@pytest.mark.parametrize(
    "bad", [{}, {"2028": 10}, {"2028-30": 10}, {"2028-29": -1}, {"2028-29": "many"}, [1]]
)
def test_a_malformed_demand_is_refused(bad):
    with pytest.raises(ValidationError):
        validate_domestic_demand(bad)


def test_the_rule_set_pages_show_and_take_the_demand(rules, client):
    client.force_login(UserFactory(role=Role.OFFICIAL))
    detail = client.get(reverse("rule_set_detail", args=[1])).content.decode()
    assert "Domestic demand" in detail and "2029-30: 8,220" in detail
    amend = client.get(reverse("rule_set_amend"))
    assert amend.status_code == 200 and 'name="domestic_demand_tonnes"' in amend.content.decode()
    assert client.get(reverse("rule_set_compare") + "?a=1&b=1").status_code == 200


def _posted(page, **changes) -> dict[str, str]:
    """What the browser posts back: every field as the form rendered it, with the official's edits."""
    form, slabs = page.context["form"], page.context["slabs"]
    bound = [*form, *slabs.management_form, *(f for s in slabs for f in s)]
    data = {b.html_name: "" if b.value() is None else str(b.value()) for b in bound}
    data |= {
        "effective_from": "2027-04-01",
        "notification": "S.O. 77(E)",
        "summary": "Demand revised.",
    }
    return data | changes


def test_an_amendment_can_revise_the_demand_and_the_comparison_shows_it(rules, client):
    client.force_login(UserFactory(role=Role.OFFICIAL))
    page = client.get(reverse("rule_set_amend"))
    revised = '{"2027-28": 6500, "2028-29": 7400}'
    response = client.post(reverse("rule_set_amend"), _posted(page, domestic_demand_tonnes=revised))
    assert response.status_code == 302, response.context["form"].errors
    compare = client.get(response["Location"])
    assert [c.name for c in compare.context["changes"]] == ["domestic_demand_tonnes"]
    assert "2028-29: 7,400" in compare.content.decode()
    bad = client.post(
        reverse("rule_set_amend"), _posted(page, domestic_demand_tonnes='{"2028": 1}')
    )
    assert bad.status_code == 200 and "is not a financial year" in bad.content.decode()
