"""Kept OCDS releases: one per public moment, from tender to the last payment, valid at every stage."""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import json

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from bidding import ocds as tender_ocds
from incentives.opendata import merge, ocds, services
from incentives.opendata.models import KeptRelease
from tests.bidding import ocds_schema
from tests.opendata.story import PAYMENT_TIME, RATES, RETENDER_TIME, Story

pytestmark = pytest.mark.django_db
BASE = "https://repm.example.gov.in/"
MERGED_AWAY = ("id", "date", "tag")


def _get(path: str) -> dict:
    response = APIClient().get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.json()


def _body(release: dict) -> dict:
    return {k: v for k, v in release.items() if k not in MERGED_AWAY}


def _without_empty_lists(value):
    """As the merge leaves them out: an empty array says nothing (ocdsmerge agrees)."""
    if isinstance(value, dict):
        return {k: _without_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [_without_empty_lists(v) for v in value]
    return value


def _uris(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _uris(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _uris(v, key)
    elif key in ("uri", "url", "source", "publicationPolicy", "license", "packages"):
        yield value


def _packages(ocid: str) -> tuple[dict, dict]:
    releases = _get(f"/api/ocds/{ocid}/releases/")
    record = _get(f"/api/ocds/{ocid}/record/")
    # Format "uri" is not checked by jsonschema without rfc3987: check it here.
    for uri in [*_uris(releases), *_uris(record)]:
        assert uri.startswith(("https://", "http://")), uri
    assert ocds_schema.errors(releases) == [], ocds_schema.errors(releases)[:5]
    assert ocds_schema.record_errors(record) == [], ocds_schema.record_errors(record)[:5]
    return releases, record


def test_a_tender_is_kept_release_by_release_to_its_last_payment(staff, grants, users):
    story = Story(staff, grants, users)
    kept: dict[str, list[KeptRelease]] = {}
    snapshots: dict[str, dict] = {}

    def step(name: str) -> list[KeptRelease]:
        before = KeptRelease.objects.count()
        kept[name] = services.keep_releases(base_url=BASE)
        assert KeptRelease.objects.count() == before + len(kept[name]) > before, name
        assert services.keep_releases(base_url=BASE) == [], f"{name}: a repeat keeps nothing"
        for r in KeptRelease.objects.all():  # every older release is unchanged
            snapshots.setdefault(r.release_id, copy.deepcopy(r.content))
            assert r.content == snapshots[r.release_id], r.release_id
        _packages(tender_ocds.ocid(story.tender))  # both packages valid at this stage
        return kept[name]

    tender = story.publish()
    ocid = tender_ocds.ocid(tender)
    [first] = step("tender only")
    assert first.tags == ["tender"] and first.release_id == f"{ocid}-0001"
    _packages(ocid)

    story.bid_and_open()
    step("technical opening")
    latest = KeptRelease.objects.filter(tender=tender).order_by("-sequence").first().content
    assert latest["tag"] == ["tenderUpdate"]
    # Four firms bid (two in a consortium): numberOfTenderers counts what tenderers lists.
    assert latest["tender"]["numberOfTenderers"] == len(latest["tender"]["tenderers"]) == 4
    assert not any(rate in json.dumps(latest) for rate in RATES)  # rates still sealed

    story.evaluate_and_rank()
    step("financial opening")
    story.award()
    [award_release] = step("award")
    assert award_release.tags == ["award"]
    assert len(award_release.content["awards"]) == 2 and "contracts" not in award_release.content

    story.issue_letters()
    [contract_release] = step("award letters")
    contracts = contract_release.content["contracts"]
    assert [c["documents"][0]["documentType"] for c in contracts] == ["contractNotice"] * 2
    assert contract_release.tags == ["contract"]

    milestone = story.verify_a_milestone()
    step("milestone")
    latest = KeptRelease.objects.filter(tender=tender).order_by("-sequence").first().content
    met = [
        m for m in latest["contracts"][0]["implementation"]["milestones"] if m["status"] == "met"
    ]
    assert [m["id"] for m in met] == [f"milestone-{milestone.pk}"]
    assert met[0]["dateMet"].startswith(milestone.actual_on.isoformat())

    payment = story.pay()
    step("payment")
    latest_row = KeptRelease.objects.filter(tender=tender).order_by("-sequence").first()
    [transaction_] = latest_row.content["contracts"][0]["implementation"]["transactions"]
    assert transaction_["value"] == {"amount": 25000000.0, "currency": "INR"}
    assert transaction_["payee"]["name"] == "Lead Magnetics Limited"
    assert payment.utr not in json.dumps(latest_row.content)  # never a bank reference
    roles = {p["name"]: p["roles"] for p in latest_row.content["parties"]}
    assert "payer" in roles["Ministry of Heavy Industries, Government of India"]
    assert "payee" in roles["Lead Magnetics Limited"]

    releases, record = _packages(ocid)
    ids = [r["id"] for r in releases["releases"]]
    assert ids == [f"{ocid}-{n:04d}" for n in range(1, len(ids) + 1)]
    # Each release at its own stable URL, as kept.
    linked = record["records"][0]["releases"]
    assert [link["url"].rsplit("/releases/", 1)[1].strip("/") for link in linked] == ids
    one = _get(f"/api/ocds/{ocid}/releases/{ids[0]}/")
    assert one["releases"] == [snapshots[ids[0]]] and ocds_schema.errors(one) == []
    # The compiled release is the latest state: the tender rebuilt now, field for field.
    compiled = record["records"][0]["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    now = ocds.build_release(tender, base_url=BASE, now=PAYMENT_TIME)
    assert _body(compiled) == _without_empty_lists(_body(now))
    if importlib.util.find_spec("ocdsmerge"):  # and the reference merge compiles the same
        import ocdsmerge

        merger = ocdsmerge.Merger(ocds_schema.release_schema())
        assert merger.create_compiled_release(releases["releases"]) == compiled
    # Quoted rates appear from the financial opening on, never before.
    for release in releases["releases"]:
        shown = any(rate in json.dumps(release) for rate in RATES[:2])
        assert shown == (release["date"] >= tender_ocds._iso(tender.financial_opened_at))

    # Kept means kept: the database refuses to change or delete a release.
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        KeptRelease.objects.filter(pk=first.pk).update(content={})
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        KeptRelease.objects.filter(pk=first.pk).delete()


def test_a_retender_and_its_parent_link_to_each_other(staff, grants, users):
    story = Story(staff, grants, users)
    parent = story.publish()
    story.bid_and_open()
    story.evaluate_and_rank()
    story.award()
    services.keep_releases(base_url=BASE)
    child = story.retender()
    kept = services.keep_releases(base_url=BASE)
    assert {k.tender_id: k.tags for k in kept} == {
        child.pk: ["tender"],
        parent.pk: ["tenderUpdate"],
    }

    child_ocid, parent_ocid = tender_ocds.ocid(child), tender_ocds.ocid(parent)
    child_releases, _ = _packages(child_ocid)
    _, parent_record = _packages(parent_ocid)
    [link] = child_releases["releases"][-1]["relatedProcesses"]
    assert (link["relationship"], link["scheme"], link["identifier"]) == (
        ["prior"], "ocid", parent_ocid,
    )  # fmt: skip
    [back] = parent_record["records"][0]["compiledRelease"]["relatedProcesses"]
    assert (back["relationship"], back["identifier"]) == (["replacementProcess"], child_ocid)
    # The live snapshot of the re-tender says the same.
    live = tender_ocds.release_package(
        child, base_url=BASE, now=RETENDER_TIME + dt.timedelta(days=1)
    )
    assert live["releases"][0]["relatedProcesses"][0]["identifier"] == parent_ocid
    assert ocds_schema.errors(live) == []


def test_extensions_are_pinned_to_a_commit():
    assert all("/master/" not in url for url in tender_ocds.EXTENSIONS)
    assert all(
        f"/{commit}/extension.json" in url
        for url, commit in zip(
            tender_ocds.EXTENSIONS, tender_ocds.EXTENSION_COMMITS.values(), strict=True
        )
    )


def test_an_unknown_or_draft_ocid_is_not_found(staff):
    from tests.bidding.builders import make_tender

    draft = make_tender(staff, reference="DRAFT/9", publish=False)
    client = APIClient()
    assert client.get(f"/api/ocds/{tender_ocds.ocid(draft)}/record/").status_code == 404
    assert client.get("/api/ocds/ocds-other-000001/releases/").status_code == 404
    published = make_tender(staff)
    # Published, but not swept yet: no release kept, so nothing to serve.
    assert client.get(f"/api/ocds/{tender_ocds.ocid(published)}/releases/").status_code == 404
    services.keep_releases(base_url=BASE)
    assert client.get(f"/api/ocds/{tender_ocds.ocid(published)}/releases/").status_code == 200
    assert client.get(f"/api/ocds/{tender_ocds.ocid(draft)}/releases/").status_code == 404


def test_one_release_per_moment_even_if_two_sweeps_race_on_the_same_events(staff):
    from tests.bidding.builders import make_tender

    tender = make_tender(staff)
    services.keep_releases(base_url=BASE)
    row = KeptRelease.objects.get(tender=tender)
    with pytest.raises(IntegrityError), transaction.atomic():
        KeptRelease.objects.create(
            tender=tender, ocid=row.ocid, sequence=2, release_id=f"{row.ocid}-0002",
            date=row.date, tags=row.tags, content=row.content, sha256=row.sha256,
            event=row.event, events=row.events, kept_at=row.kept_at,
        )  # fmt: skip


MERGE_RELEASES = [
    {"ocid": "o", "id": "1", "date": "2026-01-01T00:00:00Z", "tag": ["tender"],
     "tender": {"id": "t", "status": "active", "items": [{"id": "a", "quantity": 1}],
                "submissionMethod": ["electronicSubmission"], "awardPeriod": {"endDate": "x"}},
     "parties": [{"id": "p", "roles": ["buyer"], "identifier": {"id": "1"}}]},
    {"ocid": "o", "id": "2", "date": "2026-02-01T00:00:00Z", "tag": ["award"],
     "tender": {"id": "t", "status": "complete", "items": [{"id": "b", "quantity": 2}],
                "awardPeriod": {"endDate": None}},
     "parties": [{"id": "p", "roles": ["buyer", "payer"]}, {"id": "q", "roles": ["supplier"]}]},
]  # fmt: skip


def test_the_merge_follows_the_ocds_rules():
    compiled = merge.compile_releases(reversed(MERGE_RELEASES))  # sorted by date, not by order
    assert compiled["tag"] == ["compiled"] and compiled["id"] == "o-2026-02-01T00:00:00Z"
    assert compiled["tender"]["status"] == "complete"
    assert compiled["tender"]["items"] == [{"id": "a", "quantity": 1}, {"id": "b", "quantity": 2}]
    assert compiled["tender"]["submissionMethod"] == ["electronicSubmission"]
    assert "endDate" not in compiled["tender"]["awardPeriod"]  # a null removes
    assert compiled["parties"] == [
        {"id": "p", "roles": ["buyer", "payer"], "identifier": {"id": "1"}},
        {"id": "q", "roles": ["supplier"]},
    ]


def test_the_merge_agrees_with_ocdsmerge_where_it_is_installed():
    ocdsmerge = pytest.importorskip("ocdsmerge")
    schema = ocds_schema.release_schema()
    theirs = ocdsmerge.Merger(schema).create_compiled_release(copy.deepcopy(MERGE_RELEASES))
    ours = merge.compile_releases(copy.deepcopy(MERGE_RELEASES))
    assert ours == theirs
