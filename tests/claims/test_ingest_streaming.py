"""A CSV file checked and stored a chunk at a time: the same outcome as checking it whole, at every chunk boundary."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pandas as pd
import pytest

from incentives.claims.models import Claim, ClaimLine, ClaimUpload
from incentives.claims.services import processing
from incentives.ingest import chunks
from incentives.ingest.chunks import Unstreamable, csv_chunks, scan_text
from incentives.ingest.reading import read_upload
from incentives.ingest.results import ValidationContext
from incentives.ingest.streaming import StreamCheck
from incentives.ingest.validate import totals, validate
from repm_portal.models import AuditEvent
from tests.claims.sales import Q1_START, csv_bytes, line, lines_for, submit

CHUNK = 4
CONTEXT = ValidationContext(
    period_start=Q1_START,
    period_end=dt.date(2027, 6, 30),
    unit_value_min=Decimal("1000"),
    unit_value_max=Decimal("10000"),
    registered_plant="Pune-1",
)


def credit(number: int, target: str, day: dt.date = Q1_START) -> dict:
    return line(
        number, day, invoice_number=f"CN/{number:05d}", credit_note_ref=target,
        quantity_kg="-1.000", net_sales_value="-5000.00",
    )  # fmt: skip


def streamed(data: bytes, chunk_rows: int = CHUNK) -> tuple[StreamCheck, list[pd.DataFrame | None]]:
    check = StreamCheck(CONTEXT)
    handle = io.BytesIO(data)
    scan_text(handle)
    cleans = [check.check(frame) for frame in csv_chunks(handle, "s.csv", chunk_rows=chunk_rows)]
    return check, cleans


# --- the reader and the check, without a database ---------------------------------------------


def test_chunks_hold_the_lines_read_upload_reads_with_their_row_labels():
    records = lines_for(Q1_START, 9)
    records[3] = dict.fromkeys(records[3], "")  # a blank row, dropped
    records[5]["buyer_name"] = "Line\nbreak, Pvt"  # a quoted line break stays one record
    data = csv_bytes(records, delimiter=";", bom=True)
    whole, _ = read_upload(data, "s.csv")
    handle = io.BytesIO(data)
    assert scan_text(handle) == data.count(b"\n")
    parts = list(csv_chunks(handle, "s.csv", chunk_rows=CHUNK))
    assert len(parts) == 3  # the header and 3 lines, then 4 records (one blank), then 2
    # Columns of few distinct cells come as categoricals (codes into the distinct texts).
    assert isinstance(parts[0]["magnet_grade"].dtype, pd.CategoricalDtype)
    assert parts[0]["invoice_number"].dtype == object
    pd.testing.assert_frame_equal(pd.concat(parts).astype(object), whole)


def test_chunks_read_odd_quoting_and_line_ends_as_read_upload_does():
    # Doubled quotes, text after a closing quote, a quote inside an unquoted cell, spaces
    # kept, a bare CR ending a line, a blank line: cell for cell what pandas reads.
    data = csv_bytes(lines_for(Q1_START, 6))
    lines = data.split(b"\r\n")
    lines[1] = lines[1].replace(b"INV/", b'"INV""/"x', 1)
    lines[2] = lines[2].replace(b"INV/", b' IN"V/', 1)
    lines[3] += b"\r" + lines.pop(4)
    lines.insert(4, b"")
    data = b"\r\n".join(lines)
    whole, _ = read_upload(data, "s.csv")
    handle = io.BytesIO(data)
    scan_text(handle)
    parts = list(csv_chunks(handle, "s.csv", chunk_rows=CHUNK))
    assert whole["invoice_number"].iloc[0].startswith('INV"/x')
    pd.testing.assert_frame_equal(pd.concat(parts).astype(object), whole)


def test_a_line_with_fewer_cells_than_the_header_is_left_to_read_upload():
    data = csv_bytes(lines_for(Q1_START, 2)) + b"INV/2705/00009,2027-05-10\r\n"
    handle = io.BytesIO(data)
    scan_text(handle)
    with pytest.raises(Unstreamable):
        list(csv_chunks(handle, "s.csv", chunk_rows=CHUNK))
    assert len(read_upload(data, "s.csv")[0]) == 3  # pandas pads it with blank cells


def test_a_valid_file_streamed_gives_validate_s_clean_lines_flags_and_totals():
    records = [*lines_for(Q1_START, 10), credit(90, "INV/2705/00002")]
    records[7]["related_party"] = "Y"
    records[8]["net_sales_value"] = "900.00"  # a unit value far outside the band
    data = csv_bytes(records)
    whole = validate(read_upload(data, "s.csv")[0], CONTEXT)
    check, cleans = streamed(data)
    assert check.finish()
    pd.testing.assert_frame_equal(pd.concat(cleans), whole.clean)
    assert check.flag_summary == whole.flag_summary == {"unit_value_outlier": 1, "related_party": 1}
    assert check.totals.result() == totals(whole.clean)
    assert check.count == 11


@pytest.mark.parametrize(
    "records",
    [
        pytest.param([credit(90, "INV/2705/00009"), *lines_for(Q1_START, 9)], id="forward"),
        pytest.param([*lines_for(Q1_START, 9), credit(90, " inv/2705/00001 ")], id="backward"),
    ],
)
def test_a_credit_note_may_reverse_an_invoice_in_another_chunk(records):
    check, cleans = streamed(csv_bytes(records))
    assert all(clean is not None for clean in cleans) and len(cleans) == 3
    assert check.finish()


def test_a_credit_note_whose_invoice_is_nowhere_fails_the_file_at_the_end():
    check, cleans = streamed(csv_bytes([*lines_for(Q1_START, 9), credit(90, "INV/2705/0000")]))
    # no chunk finds it wrong by itself (its invoice could be in another chunk) ...
    assert all(clean is not None for clean in cleans)
    # ... but the file as a whole does: a shorter number that prefixes one is not it
    assert not check.finish()


def test_an_invoice_number_repeated_in_another_chunk_fails_the_file_at_the_end():
    records = lines_for(Q1_START, 9)
    records[8]["invoice_number"] = " inv/2705/00001"
    check, cleans = streamed(csv_bytes(records))
    assert all(clean is not None for clean in cleans)
    assert not check.finish()


def test_a_chunk_with_a_broken_rule_has_no_clean_lines():
    records = lines_for(Q1_START, 9)
    records[8]["hsn_code"] = "85052000"
    _, cleans = streamed(csv_bytes(records))
    assert [clean is None for clean in cleans] == [False, False, True]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"invoice_number\x00\n", id="nul"),
        pytest.param(b"\xff\xfe" + "a,b\n".encode("utf-16-le"), id="utf16"),
        pytest.param(b"\xe2\x82", id="cut-character"),
    ],
)
def test_a_file_that_is_not_utf8_text_is_not_streamed(data):
    with pytest.raises(Unstreamable):
        scan_text(io.BytesIO(data))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(csv_bytes([]), id="no lines"),
        pytest.param(csv_bytes(lines_for(Q1_START, 2), header=["invoice", "date"]), id="header"),
        pytest.param(csv_bytes(lines_for(Q1_START, 2)) + b"a,b,c,d,e,f,g,h,i,j,k,l,m,n\r\n",
                     id="too many cells"),
    ],
)  # fmt: skip
def test_a_file_read_upload_refuses_is_not_streamed(data):
    with pytest.raises(Unstreamable):
        list(csv_chunks(io.BytesIO(data), "s.csv", chunk_rows=CHUNK))


# --- through the services: all or nothing ------------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_ROWS", CHUNK)


def errors_of(upload) -> list[tuple]:
    return [(e["row"], e["column"], e["value"], e["rule"]) for e in upload.errors]


@pytest.mark.django_db
def test_a_file_of_exactly_whole_chunks_is_stored_whole(
    award, firm_user, small_chunks, monkeypatch
):
    def read_whole(*args, **kwargs):
        raise AssertionError("a valid CSV file is never read whole")

    monkeypatch.setattr(processing, "read_upload", read_whole)
    # 11 lines and the header: 12 records, three chunks of 4 exactly
    records = [*lines_for(Q1_START, 10), credit(90, "INV/2705/00010")]
    upload = submit(award, firm_user, csv_bytes(records))
    assert upload.status == ClaimUpload.Status.ACCEPTED and upload.line_count == 11
    claim = Claim.objects.get()
    assert claim.line_count == 11 and claim.current_upload == upload
    assert claim.eligible_kg == Decimal("10") * Decimal("100.500") - 1
    rows = list(ClaimLine.objects.order_by("row").values_list("row", "invoice_number"))
    assert rows[0] == (2, "INV/2705/00001") and rows[-1] == (12, "CN/00090")
    assert upload.totals["lines"] == 11 and upload.totals["credit_note_lines"] == 1
    assert AuditEvent.objects.filter(action="claim.created").count() == 1


@pytest.mark.django_db
def test_an_error_in_the_last_chunk_stores_nothing_and_names_the_row(
    award, firm_user, small_chunks
):
    records = lines_for(Q1_START, 10)
    records[9]["quantity_kg"] = "1,5"  # row 11, in the third chunk
    upload = submit(award, firm_user, csv_bytes(records))
    assert upload.status == ClaimUpload.Status.REJECTED
    assert errors_of(upload) == [(11, "quantity_kg", "1,5", "quantity_format")]
    assert not Claim.objects.exists() and not ClaimLine.objects.exists()
    assert not AuditEvent.objects.filter(action="claim.created").exists()


@pytest.mark.django_db
def test_a_duplicate_across_chunks_stores_nothing_and_names_both_rows(
    award, firm_user, small_chunks
):
    records = lines_for(Q1_START, 10)
    records[8]["invoice_number"] = "inv/2705/00002"  # row 10 repeats row 3, two chunks away
    upload = submit(award, firm_user, csv_bytes(records))
    assert upload.status == ClaimUpload.Status.REJECTED
    assert errors_of(upload) == [(10, "invoice_number", "inv/2705/00002", "duplicate_in_file")]
    assert "already appears on row 3" in upload.errors[0]["message"]
    assert not Claim.objects.exists() and not ClaimLine.objects.exists()


@pytest.mark.django_db
def test_a_credit_note_without_its_invoice_stores_nothing(award, firm_user, small_chunks):
    upload = submit(award, firm_user, csv_bytes([*lines_for(Q1_START, 8), credit(90, "INV/X")]))
    assert upload.status == ClaimUpload.Status.REJECTED
    assert errors_of(upload) == [(10, "credit_note_ref", "INV/X", "credit_note_target")]
    assert not Claim.objects.exists() and not ClaimLine.objects.exists()


@pytest.mark.django_db
def test_a_streamed_file_replaces_the_claim_s_lines(award, firm_user, small_chunks):
    first = submit(award, firm_user, csv_bytes(lines_for(Q1_START, 6)))
    second = submit(award, firm_user, csv_bytes(lines_for(Q1_START, 9, first=50)))
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "accepted")
    claim = Claim.objects.get()
    assert claim.line_count == 9 and claim.current_upload == second
    assert ClaimLine.objects.filter(claim=claim).count() == 9
    assert not ClaimLine.objects.filter(invoice_number="INV/2705/00001").exists()
    assert AuditEvent.objects.filter(action="claim.lines_replaced").count() == 1
