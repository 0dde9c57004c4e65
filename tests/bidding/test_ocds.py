"""The OCDS release package validates against the core schema with the extensions patched in."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rest_framework.test import APIClient

from bidding import ocds, services
from bidding.models import Stage
from tests.bidding import ocds_schema
from tests.bidding.builders import (
    BEFORE_DUE,
    FIN_TIME,
    T0,
    TECH_TIME,
    evaluate,
    make_bidder,
    make_consortium,
    make_tender,
    open_stage,
    submit,
)

pytestmark = pytest.mark.django_db


def test_the_patched_schema_knows_the_extensions():
    schema = ocds_schema.release_schema()
    assert "bids" in schema["properties"]
    assert {"Bid", "BidOpening", "Lot", "SubmissionTerms", "Location"} <= set(schema["definitions"])
    assert "bidOpening" in schema["definitions"]["Tender"]["properties"]
    # and the validator is not a pushover: an unknown bid status or lot status is caught
    release = {"ocid": "ocds-repm00-1", "id": "1", "date": "2026-01-05T04:30:00Z", "tag": ["tender"],
               "initiationType": "tender", "bids": {"details": [{"id": "1", "status": "sealed"}]},
               "tender": {"id": "T", "lots": [{"id": "L", "status": "open"}]}}  # fmt: skip
    package = {"uri": "https://x.example/p", "version": "1.1", "publishedDate": "2026-01-05T04:30:00Z",
               "publisher": {"name": "MHI"}, "releases": [release]}  # fmt: skip
    problems = " | ".join(ocds_schema.errors(package))
    assert "'sealed' is not one of" in problems and "'open' is not one of" in problems


def _package(tender, now):
    return ocds.release_package(tender, base_url="https://repm.example.gov.in/", now=now)


def test_the_package_is_valid_at_every_stage_and_shows_rates_only_after_the_financial_opening(
    staff,
):
    tender = make_tender(staff)
    services.issue_corrigendum(
        actor=staff.official, tender=tender, summary="Pre-bid meeting moved to Vigyan Bhawan.",
        prebid_meeting_place="Vigyan Bhawan, New Delhi", now=T0 + dt.timedelta(days=2),
    )  # fmt: skip
    lead, partner = make_bidder("Lead Magnetics Limited"), make_bidder("Partner Sinter K.K.")
    submit(
        lead, tender, capacity=1200, rate="1877.21", consortium=make_consortium(lead, partner.firm)
    )
    submit(make_bidder("Second Magnets Limited"), tender, capacity=800, rate="1911.09")
    failing = submit(make_bidder("Third Alloys Limited"), tender, capacity=600, rate="1999.99")
    stages = {}

    stages["before due"] = _package(tender, BEFORE_DUE)
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    stages["technical opened"] = _package(tender, TECH_TIME + dt.timedelta(hours=1))
    evaluate(tender, staff, fail={failing.bid_id: "No DPR for the metal stage."})
    stages["evaluated"] = _package(tender, TECH_TIME + dt.timedelta(days=1))
    open_stage(tender, staff, Stage.FINANCIAL, FIN_TIME)
    stages["ranked"] = _package(tender, FIN_TIME + dt.timedelta(hours=1))
    services.award_tender(actor=staff.official, tender=tender, now=FIN_TIME + dt.timedelta(days=1))
    tender.refresh_from_db()
    stages["awarded"] = _package(tender, FIN_TIME + dt.timedelta(days=2))

    for name, package in stages.items():
        assert ocds_schema.errors(package) == [], name
    text = {name: json.dumps(p) for name, p in stages.items()}
    for name in ("before due", "technical opened", "evaluated"):
        assert "1877.21" not in text[name] and "1911.09" not in text[name], name
    assert "bids" not in stages["before due"]["releases"][0]
    release = stages["awarded"]["releases"][0]
    assert release["tag"] == ["tender", "tenderAmendment", "award"]
    details = {d["id"]: d for d in release["bids"]["details"]}
    assert {d["status"] for d in details.values()} == {"valid", "disqualified"}
    assert details[str(failing.bid_id)]["status"] == "disqualified"
    rates = sorted(
        i["unit"]["value"]["amount"]
        for d in details.values()
        for i in d["items"]
        if i["id"] == "sli-rate"
    )
    assert rates == [1877.21, 1911.09]
    assert [a["relatedBids"] for a in release["awards"]] == [
        [k] for k, d in details.items() if d.get("rank") in (1, 2)
    ]
    assert (
        release["tender"]["amendments"][0]["rationale"] == "Pre-bid meeting moved to Vigyan Bhawan."
    )
    suppliers = {p["name"] for p in release["parties"] if "supplier" in p["roles"]}
    assert suppliers == {"Lead Magnetics Limited", "Partner Sinter K.K.", "Second Magnets Limited"}


def test_the_ocds_endpoint_is_public(staff):
    tender = make_tender(staff)
    response = APIClient().get(f"/api/tenders/{tender.pk}/ocds/")
    assert response.status_code == 200
    assert ocds_schema.errors(response.json()) == []
    assert response.json()["releases"][0]["ocid"] == ocds.ocid(tender)
    draft = make_tender(staff, reference="DRAFT/1", publish=False)
    assert APIClient().get(f"/api/tenders/{draft.pk}/ocds/").status_code == 404
