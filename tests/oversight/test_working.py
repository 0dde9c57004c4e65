"""The claim working sheets: an SLI quarter's figure of record, as stored, with its adjustments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from incentives import sanctions
from incentives.capital import services as capital
from incentives.claims import services as claim_services
from incentives.claims.models import Claim
from incentives.models import SanctionRequest
from incentives.oversight import sheets
from incentives.sli.models import SliComputation
from repm_portal.roles import Role
from tests.capital.ledgers import certificate, firm_user, ledger_csv, line
from tests.claims.sales import sales_award
from tests.factories import AwardFactory, UserFactory
from tests.sli.money import Q1, after, quarter_claim, sanction, walk

pytestmark = pytest.mark.django_db


def test_a_quarter_sheet_has_its_inputs_adjustments_steps_rule_set_and_result(users):
    award = sales_award()
    claim = quarter_claim(award, Q1)
    verifier = UserFactory(role=Role.VERIFIER, username="the_checker")
    walk(claim, Claim.Status.SUBMITTED, now=after(Q1[1]))
    claim_services.start_verification(actor=verifier, claim=claim, now=after(Q1[1], 12))
    claim_services.adjust_line(
        actor=verifier, claim=claim, row=2, kind="exclude",
        reason="Invoice not in the GST returns.", now=after(Q1[1], 12),
    )  # fmt: skip
    letter = sanction(claim, users[Role.APPROVER], now=after(Q1[1], 14))
    assert letter is not None
    record = SliComputation.objects.get(letter=letter)

    sheet = sheets.build(
        "working", users[Role.AUDITOR], {"kind": "sli_quarter"}, dt.date(2031, 7, 20)
    )
    rows = [dict(zip(sheet.columns, row, strict=True)) for row in sheet.rows()]
    assert {r["letter_number"] for r in rows} == {letter.number}
    by_section: dict[str, list[dict]] = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row)
    assert by_section["rule set"][0]["value"] == record.rule_set.version
    inputs = {r["item"]: r["value"] for r in by_section["input"]}
    assert inputs["eligible_kg"] == record.inputs["eligible_kg"]
    assert inputs["rules.sli_pool"] == record.inputs["rules"]["sli_pool"]
    (adjustment,) = by_section["adjustment"]
    assert adjustment["item"] == "row 2: excluded"
    assert adjustment["note"] == "Invoice not in the GST returns."
    assert adjustment["by"] == "the_checker (Verifier (project management agency))"
    steps = by_section["step"]
    assert [s["value"] for s in steps] == [s["value"] for s in record.working["steps"]]
    assert any(s["rule_field"] for s in steps)  # the cap steps name the rule-set field they read
    result = {r["item"]: r["value"] for r in by_section["result"]}
    assert result["release"] == f"{letter.amount:f}" and result["payable"] == f"{letter.payable:f}"


def test_a_capital_sheet_has_its_inputs_exclusions_letter_working_and_result(users):
    now = dt.datetime(2028, 6, 10, 11, 0, tzinfo=dt.UTC)
    award = AwardFactory(commissioned=True, allocated_mtpa=600)
    claim = capital.upload_ledger(
        actor=firm_user(award), award=award, ledger_file=ledger_csv([line("400"), line("30"), line("5", head="R&D")]),
        certificate_file=certificate(), now=now,
    )  # fmt: skip
    capital.submit_claim(actor=firm_user(award), claim=claim, now=now)
    excluded = claim.lines.order_by("row_number")[1]
    capital.verify_claim(
        actor=users[Role.VERIFIER],
        claim=claim,
        exclusions={excluded.pk: "No delivery challan."},
        now=now,
    )
    with transaction.atomic():
        capital.approve_claim(actor=users[Role.APPROVER], claim=claim, now=now)
    request = SanctionRequest.objects.get(claim_type="capital_subsidy", claim_id=str(claim.pk))
    letter = sanctions._sanction(request.pk, now=now)
    assert letter is not None

    sheet = sheets.build(
        "working", users[Role.AUDITOR], {"kind": "capital_subsidy"}, dt.date(2028, 7, 1)
    )
    rows = [dict(zip(sheet.columns, row, strict=True)) for row in sheet.rows()]
    sections = [r["section"] for r in rows]
    assert sections[0] == "rule set" and "input" in sections and sections[-1] == "result"
    claim.refresh_from_db()
    inputs = {r["item"]: r["value"] for r in rows if r["section"] == "input"}
    assert inputs["verified_eligible"] == claim.verified_eligible
    (exclusion,) = [r for r in rows if r["section"] == "adjustment"]
    assert exclusion["note"] == "No delivery challan." and exclusion["by"].startswith(
        "the_verifier "
    )
    steps = [r for r in rows if r["section"] == "step"]
    assert [s["item"] for s in steps] == [x["label"] for x in letter.content["lines"]]
    result = {r["item"]: r["value"] for r in rows if r["section"] == "result"}
    assert (result["release"], result["payable"]) == (letter.amount, letter.payable)
