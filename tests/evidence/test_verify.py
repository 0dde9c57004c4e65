"""verify_bundle: a clean bundle of real sanctions passes; one figure tampered is named exactly."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from incentives import sanctions
from incentives.evidence import layout, verify
from tests.evidence.bundles import build, edit_json, members, rewrite
from tests.sli.money import Q3, after, quarter_claim, sanction

pytestmark = pytest.mark.django_db


def _verify_file(tmp_path, data: bytes) -> tuple[int, str]:
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    out = StringIO()
    try:
        call_command("verify_bundle", str(path), stdout=out)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_a_clean_bundle_of_real_sanctions_verifies(bundle, year, tmp_path):
    report = verify.check(bundle)
    assert report.findings == []
    assert report.counts["letters"] == 3
    assert report.counts["sli_replayed"] == 2
    assert report.counts["capital_replayed"] == 1
    assert report.counts["payments"] == 2
    assert report.counts["claims"] == 2
    assert report.counts["register_rows"] == 3
    code, out = _verify_file(tmp_path, bundle)
    assert code == 0
    assert out.startswith("OK: ")
    assert "2 sli replayed" in out


def test_the_bundle_holds_the_figures_of_record(bundle, year):
    files = members(bundle)
    sanctions = json.loads(files[layout.SANCTIONS])
    first = year["sli"][0]
    entry = next(e for e in sanctions["letters"] if e["number"] == first.number)
    assert entry["amount"] == f"{first.amount:f}"
    assert entry["deducted"] == "100000.00"
    assert entry["pending"] == "0.00"
    assert [p["utr"] for p in entry["payments"]] == ["SBIN027217000001"]
    # the input is exactly what the sanction stored, in the sli_compute format
    stored = first.sli_computations.get().inputs
    assert json.loads(files[entry["sli_input"]]) == stored
    claim = json.loads(files[entry["claims"][0]])
    assert [a["kind"] for a in claim["adjustments"]] == ["exclude"]
    assert claim["verified"]["eligible_kg"] == "402.000"
    assert (
        claim["uploads"][0]["sha256"]
        == first.award.sales_claims.get(pk=first.claim_id).current_upload.sha256
    )
    rule_set = json.loads(files["rule_sets/v1.json"])
    assert rule_set["turnover_cap_pct"] == "40.0000"
    assert len(rule_set["slabs"]) >= 4
    manifest = json.loads(files[layout.MANIFEST])
    assert manifest["produced_by"]["username"] == "the_auditor"
    assert {f["path"] for f in manifest["files"]} == set(files) - {layout.MANIFEST}


def test_verify_reads_no_database(bundle, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert verify.findings(bundle) == []


def _letters(data: bytes) -> list[dict]:
    return json.loads(members(data)[layout.SANCTIONS])["letters"]


def _letter_number(data: bytes, index: int = 0) -> str:
    """The number of the index-th SLI letter of the bundle."""
    return [e["number"] for e in _letters(data) if e["pool"] == "sli"][index]


def test_a_tampered_sanction_amount_is_named(bundle, tmp_path):
    number = _letter_number(bundle)

    def bump(value):
        letter = next(e for e in value["letters"] if e["number"] == number)
        letter["amount"] = f"{Decimal(letter['amount']) + 4:f}"

    tampered = rewrite(bundle, layout.SANCTIONS, edit_json(bump))
    found = [str(f) for f in verify.findings(tampered)]
    original = next(e for e in _letters(bundle) if e["number"] == number)["amount"]
    bumped = f"{Decimal(original) + 4:f}"
    assert f"sanctions.json: {number} amount: bundle {bumped}, recomputed {original}" in found
    code, out = _verify_file(tmp_path, tampered)
    assert code == 1
    assert (
        f"MISMATCH sanctions.json: {number} amount: bundle {bumped}, recomputed {original}" in out
    )


def test_a_tampered_engine_input_is_named(bundle):
    # given the first letter's input: 402 kg sold for Rs 20,10,000, where 40 % of the sales value
    # binds: 85 % of Rs 8,04,000 is released
    number = _letter_number(bundle)
    path = layout.sli_input_path(number)
    change = edit_json(lambda v: v.update(net_sales_value="2000000.00"))
    found = [str(f) for f in verify.findings(rewrite(bundle, path, change))]
    # then the input no longer agrees with the claim's verified totals it was read from ...
    assert any(
        f.startswith(f"{path}: net_sales_value: bundle 2000000.00, from claims/")
        and f.endswith(" 2010000.00")
        for f in found
    ), found
    # ... and the engine on it no longer gives the letter's figure: 85 % of Rs 8,00,000
    assert f"sanctions.json: {number} amount: bundle 683400.00, recomputed 680000.00" in found
    assert (
        f"{path.replace('sli_inputs', 'working_sheets')}: working.release: bundle 683400.00, recomputed 680000.00"
        in found
    )


def test_a_tampered_rule_in_an_engine_input_is_named(bundle):
    number = _letter_number(bundle)
    path = layout.sli_input_path(number)

    def change(value):
        value["rules"]["turnover_cap_pct"] = "45.0000"

    found = [str(f) for f in verify.findings(rewrite(bundle, path, edit_json(change)))]
    assert (
        f"{path}: rules.turnover_cap_pct: bundle 45.0000, from rule_sets/v1.json 40.0000" in found
    )


def test_a_tampered_register_cell_is_named(bundle):
    number = _letter_number(bundle, 1)

    def change(content: bytes) -> bytes:
        lines = content.decode("utf-8-sig").splitlines(keepends=True)
        row = next(i for i, text in enumerate(lines) if text.startswith(number))
        cells = lines[row].split(",")
        paid = layout.REGISTER_COLUMNS.index("paid")
        cells[paid] = "99999.00"
        lines[row] = ",".join(cells)
        return ("\ufeff" + "".join(lines)).encode()

    found = [str(f) for f in verify.findings(rewrite(bundle, layout.REGISTER, change))]
    row = 1 + next(i for i, e in enumerate(_letters(bundle), start=1) if e["number"] == number)
    assert found == [
        f"register.csv: row {row} ({number}) paid: bundle 99999.00, from sanctions.json 100000.00"
    ]


def test_one_changed_byte_is_named_by_the_manifest(bundle):
    number = _letter_number(bundle)
    path = layout.working_path(number)

    def flip(content: bytes) -> bytes:
        at = content.index(b'"subject"')
        return content[:at] + b'"Subject"' + content[at + 9 :]

    found = verify.findings(rewrite(bundle, path, flip, rehash=False))
    assert [(f.file, f.figure) for f in found] == [(path, "sha256")]


def test_a_broken_file_is_named_not_a_crash(tmp_path):
    code, out = _verify_file(tmp_path, b"not a zip")
    assert code == 1
    assert "bundle: zip: is not a zip file" in out


def test_a_file_of_the_wrong_shape_is_named_not_a_crash(bundle):
    path = "claims/" + next(
        name.split("/")[1] for name in members(bundle) if name.startswith("claims/")
    )
    found = [
        str(f) for f in verify.findings(rewrite(bundle, path, edit_json(lambda v: v.pop("filed"))))
    ]
    assert f"{path}: file: lacks 'filed'" in found


def test_corrected_letters_verify_and_name_what_they_reverse(year, users):
    # given an unpaid SLI letter and the unpaid capital letter, each corrected by a new letter
    third = sanction(
        quarter_claim(year["award"], Q3), users["approver"], now=after(Q3[1], 20), render=True
    )
    for letter, at in ((third, after(Q3[1], 25)), (year["capital"], after(Q3[1], 26))):
        request = sanctions.request_correction(
            letter=letter,
            actor=users["approver"],
            reason="Signatory's designation misprinted",
            now=at,
        )
        sanctions.issue(request.pk, now=at + dt.timedelta(hours=1))
    # when the year's bundle is built, it holds both pairs and verifies
    data = build(users)
    report = verify.check(data)
    assert report.findings == []
    assert report.counts["sli_replayed"] == 4
    assert report.counts["capital_replayed"] == 2
    letters = {e["number"]: e for e in _letters(data)}
    for old in (third, year["capital"]):
        new = letters[letters[old.number]["reversed_by"]]
        assert new["reverses"] == old.number
        assert new["amount"] == letters[old.number]["amount"]


def test_a_tampered_claim_total_is_named(bundle):
    # given the first quarter's claim, one of whose lines (row 3) the verifier excluded: 402 kg count
    entry = next(e for e in _letters(bundle) if e["pool"] == "sli")
    path = entry["claims"][0]
    change = edit_json(lambda v: v["verified"].update(eligible_kg="502.500"))
    found = [str(f) for f in verify.findings(rewrite(bundle, path, change))]
    assert f"{path}: verified.eligible_kg: bundle 502.500, recomputed 402.000" in found
