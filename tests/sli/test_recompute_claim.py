"""recompute_claim: a sanctioned figure replayed from its stored input and rebuilt from the database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from incentives import sanctions
from incentives.claims.models import Claim
from incentives.models import SanctionRequest
from incentives.sli import services
from incentives.sli.models import SliComputation
from repm_portal.services import amend_rule_set
from tests.sli.money import Q1, Q4, after, penalty, quarter_claim, sanction

pytestmark = pytest.mark.django_db


def _recompute(ref: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("recompute_claim", ref, stdout=out, stderr=err)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def letter(award, users):
    penalty(award, Decimal("100000.00"))
    claim = quarter_claim(award, Q1)
    return sanction(claim, users["approver"], now=after(Q1[1], 20))


def test_a_sanctioned_claim_recomputes_identically_by_claim_and_by_letter(letter):
    # given later ledger movements the figure could not have seen
    penalty(letter.award, Decimal("5000.00"), key="penalty:later")
    for ref in (letter.claim_id, letter.number):
        code, out, _ = _recompute(str(ref))
        assert code == 0, out
        assert out.rstrip().endswith("identical")
        assert "deducted 100000.00" in out


def test_a_tampered_claim_total_is_named(letter):
    # when someone changes the claim's verified kg after its sanction
    Claim.objects.filter(pk=letter.claim_id).update(eligible_kg=Decimal("600.000"))
    code, out, _ = _recompute(letter.number)
    # then the difference is reported by field, and the exit code says so
    assert code == 1
    assert "DIFFERENT database: eligible_kg: recorded '502.500', found '600.000'" in out


def test_a_tampered_working_is_named(letter):
    stored = SliComputation.objects.get(letter=letter)
    working = {**stored.working, "payable": "1.00"}
    with connection.cursor() as cursor:  # past the append-only trigger, as an intruder would be
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE sli_slicomputation DISABLE TRIGGER sli_slicomputation_append_only"
        )
        cursor.execute(
            "UPDATE sli_slicomputation SET working = %s::jsonb WHERE id = %s",
            [json.dumps(working), stored.pk],
        )
        cursor.execute(
            "ALTER TABLE sli_slicomputation ENABLE TRIGGER sli_slicomputation_append_only"
        )
    code, out, _ = _recompute(str(letter.claim_id))
    assert code == 1
    assert "DIFFERENT replay: payable: recorded '1.00', found '754250.00'" in out
    assert "DIFFERENT letter: letter.payable: recorded '1.00', found '754250.00'" in out


@pytest.mark.parametrize("ref", ["999999", "true-up:999", "REPM/SLI/2027-28/9999", "x"])
def test_a_bad_reference_exits_2(ref, db):
    code, _, err = _recompute(ref)
    assert code == 2 and err.startswith("recompute_claim: ")


def test_an_amendment_never_changes_a_past_figure(award, users, letter):
    # when the rules are amended from 1 Jan 2028: turnover cap 20 %, a tapering year 1
    v2 = amend_rule_set(
        actor=users["official"], effective_from=dt.date(2028, 1, 1),
        notification="S.O. 4826(E)", notified_on=dt.date(2027, 12, 10),
        summary="Turnover cap 20 %, taper", changes={
            "turnover_cap_pct": Decimal("20.00"),
            "taper": [Decimal("0.9"), Decimal("0.8"), Decimal("0.7"), Decimal("0.6"), Decimal("0.5")],
        },
    )  # fmt: skip
    # then the claim sanctioned before recomputes as it was, under version 1
    code, out, _ = _recompute(letter.number)
    assert code == 0, out
    assert "rule set v1" in out
    # and a claim whose period ends after the amendment is computed under version 2
    later = quarter_claim(award, Q4)
    assert later.rule_set == v2
    letter2 = sanction(later, users["approver"], now=after(Q4[1], 20))
    stored = SliComputation.objects.get(letter=letter2)
    assert stored.rule_set == v2 and letter2.rule_set == v2
    assert stored.inputs["rules"]["turnover_cap_pct"] == "20.0000"
    assert letter2.amount == Decimal("427125.00")  # 85 % of 20 % of Rs 25,12,500
    assert _recompute(letter2.number)[0] == 0


def test_a_settled_true_up_recomputes_identically(award, users, letter):
    true_up = services.compute_true_up(
        award=award, financial_year="2027-28", now=dt.datetime(2028, 7, 15, tzinfo=dt.UTC)
    )
    services.approve_true_up(true_up=true_up, actor=users["approver"], now=after(Q4[1], 110))
    request = SanctionRequest.objects.get(claim_type="sli_true_up")
    sanctions._sanction(request.pk, now=after(Q4[1], 110))
    code, out, _ = _recompute(f"true-up:{true_up.pk}")
    assert code == 0, out
