"""Sales claims end to end through the services: each rule refuses a file and stores nothing; accepted files are stored whole."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from incentives.claims import services, storing
from incentives.claims.models import Claim, ClaimLine, ClaimUpload
from incentives.claims.periods import claim_periods, sli_term_ends_on
from incentives.ingest.columns import HEADER
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.claims.sales import (
    AFTER_Q1,
    AFTER_Q2,
    BUYER_GSTIN,
    COMMISSIONED_ON,
    IST,
    Q1_START,
    Q2_START,
    csv_bytes,
    line,
    lines_for,
    sales_award,
    submit,
    uploaded,
)
from tests.factories import AwardFactory, BidParticipantFactory, FirmUserFactory, UserFactory


def nothing_stored() -> bool:
    return not Claim.objects.exists() and not ClaimLine.objects.exists()


def errors_of(upload) -> list[tuple]:
    return [(e["row"], e["column"], e["value"], e["rule"]) for e in upload.errors]


# --- claim periods ---------------------------------------------------------------------------


def test_periods_run_by_quarter_from_commissioning_to_the_end_of_the_term():
    periods = claim_periods(
        commissioned_on=dt.date(2028, 5, 20),
        gestation_ends_on=dt.date(2028, 7, 28),
        sli_months=60,
    )
    first, second, last = periods[0], periods[1], periods[-1]
    # the first is partial, from the commissioning day, and early (before gestation ends)
    assert (first.label, first.starts_on, first.ends_on) == (
        "Q1 FY 2028-29",
        dt.date(2028, 5, 20),
        dt.date(2028, 6, 30),
    )
    assert first.is_early and first.is_partial and first.days == 42
    # the quarter in which gestation ends is a whole quarter of scheme year 1
    assert (second.starts_on, second.ends_on, second.is_early) == (
        dt.date(2028, 7, 1),
        dt.date(2028, 9, 30),
        False,
    )
    # the last ends with the term, 60 months after gestation ends
    assert sli_term_ends_on(gestation_ends_on=dt.date(2028, 7, 28), sli_months=60) == dt.date(
        2033, 7, 28
    )
    assert (last.label, last.starts_on, last.ends_on, last.days) == (
        "Q2 FY 2033-34",
        dt.date(2033, 7, 1),
        dt.date(2033, 7, 28),
        28,
    )
    assert len(periods) == 22
    assert first.window_closes_on(90) == dt.date(2028, 9, 28)


# --- an accepted file ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_accepted_file_is_stored_line_by_line_with_its_totals(award, firm_user):
    records = [
        line(1, dt.date(2027, 5, 12)),
        line(2, dt.date(2027, 6, 2), buyer_gstin="", export_country="jp", buyer_name="Sakura KK",
             quantity_kg="10", net_sales_value="60000", related_party="Y"),
        line(3, dt.date(2027, 6, 3), invoice_number="CN/1", credit_note_ref="INV/2705/00001",
             quantity_kg="-0.5", net_sales_value="-2500"),
        line(4, dt.date(2027, 6, 4), net_sales_value="50.00", quantity_kg="1"),  # Rs 50/kg
    ]  # fmt: skip
    upload = submit(award, firm_user, csv_bytes(records))

    assert upload.status == ClaimUpload.Status.ACCEPTED and upload.error_count == 0
    claim = Claim.objects.get()
    assert claim.current_upload == upload and upload.claim == claim
    assert (claim.period_start, claim.period_end, claim.quarter_label, claim.is_early) == (
        COMMISSIONED_ON,
        dt.date(2027, 6, 30),
        "Q1 FY 2027-28",
        True,
    )
    assert claim.window_closes_on == dt.date(2027, 9, 28)
    assert claim.line_count == 4
    assert claim.eligible_kg == Decimal("111.000")  # 100.5 + 10 - 0.5 + 1
    assert claim.net_sales_value == Decimal("560050.00")
    stored = list(ClaimLine.objects.order_by("row").values_list(
        "row", "invoice_number", "export_country", "is_export", "quantity_kg", "net_sales_value",
        "is_credit_note", "related_party", "unit_value_outlier",
    ))  # fmt: skip
    assert stored == [
        (2, "INV/2705/00001", "", False, Decimal("100.500"), Decimal("502500.00"), False, False, False),
        (3, "INV/2706/00002", "JP", True, Decimal("10.000"), Decimal("60000.00"), False, True, False),
        (4, "CN/1", "", False, Decimal("-0.500"), Decimal("-2500.00"), True, False, False),
        (5, "INV/2706/00004", "", False, Decimal("1.000"), Decimal("50.00"), False, False, True),
    ]  # fmt: skip
    assert upload.flag_summary == {"unit_value_outlier": 1, "related_party": 1}
    assert upload.totals["export"] == {"kg": "10.000", "value": "60000.00"}
    assert upload.totals["related_party"]["kg_share"] == "0.0901"
    assert upload.totals["buyer_names"][BUYER_GSTIN] == "Bharat Motors Ltd"
    # the raw file is kept, with its SHA-256
    with upload.file.open("rb") as handle:
        import hashlib

        assert hashlib.sha256(handle.read()).hexdigest() == upload.sha256
    # every state change is in the audit trail; the claim's row is the last written
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["claim_upload.received", "claim_upload.accepted", "claim.created"]


@pytest.mark.django_db
def test_text_with_tabs_backslashes_and_other_scripts_is_stored_exactly(award, firm_user):
    names = [
        "Tab\there Ltd",
        "Back\\slash & Co",
        "Line\nbreak Pvt",
        "भारत मोटर्स लिमिटेड",
        'Quote "Q" Ltd',
    ]
    records = [line(n + 1, dt.date(2027, 5, 20), buyer_name=name) for n, name in enumerate(names)]
    upload = submit(award, firm_user, csv_bytes(records))
    assert upload.status == ClaimUpload.Status.ACCEPTED
    assert list(ClaimLine.objects.order_by("row").values_list("buyer_name", flat=True)) == names


def test_copy_text_is_built_a_column_at_a_time():
    import numpy as np
    import pandas as pd

    clean = pd.DataFrame(
        {
            "row": [2, 3], "invoice_number": ["A1", "B\\2"],
            "invoice_date": pd.to_datetime(["2027-05-10", "2027-06-30"]),
            "buyer_name": ["X", "Y\tZ"], "buyer_gstin": [BUYER_GSTIN, ""],
            "export_country": ["", "JP"], "is_export": [False, True], "hsn_code": ["85051110"] * 2,
            "magnet_grade": ["N52", "N42SH"], "quantity_g": np.array([1_250_500, -5], dtype=np.int64),
            "net_sales_value_paise": np.array([12, -100_000], dtype=np.int64),
            "credit_note_ref": ["", "A1"], "is_credit_note": [False, True],
            "related_party": [False, True], "unit_value_outlier": [True, False], "plant": ["P", "P"],
        }
    )  # fmt: skip
    chunks = list(storing.copy_chunks(clean, claim_id=7, award_id=3))
    assert chunks == [
        (
            b"7\t2\t3\tA1\t2027-05-10\tX\t" + BUYER_GSTIN.encode()
            + b"\t\tf\t85051110\tN52\t1250.500\t0.12\t\tf\tf\tt\tP\n"
            b"7\t3\t3\tB\\\\2\t2027-06-30\tY\\tZ\t\tJP\tt\t85051110\tN42SH\t-0.005\t-1000.00\tA1\tt\tt\tf\tP\n",
            2,
        )
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("buyer", "written"),
    [
        pytest.param("Sharma, Rao & Co", b"Sharma, Rao & Co", id="plain: by pyarrow"),
        pytest.param('Y "Z"\tW', b'Y "Z"\\tW', id="quote and tab: pyarrow refuses"),
    ],
)
def test_copy_text_is_the_same_however_it_is_written(buyer, written):
    import numpy as np
    import pandas as pd

    clean = pd.DataFrame(
        {
            "row": [2, 3, 4], "invoice_number": ["A1", "B2", "C3"],
            "invoice_date": pd.to_datetime(["2027-05-10", "2027-06-30", "1969-12-31"]),
            "buyer_name": ["X", buyer, "Z"], "buyer_gstin": [BUYER_GSTIN, "", BUYER_GSTIN],
            "export_country": ["", "JP", ""], "is_export": [False, True, False],
            "hsn_code": ["85051110"] * 3, "magnet_grade": ["N52", "N42SH", "N52"],
            "quantity_g": np.array([1_250_500, -5, 999_999_999_999], dtype=np.int64),
            "net_sales_value_paise": np.array([12, -100_000, 1], dtype=np.int64),
            "credit_note_ref": ["", "A1", ""], "is_credit_note": [False, True, False],
            "related_party": [False, True, False], "unit_value_outlier": [True, False, False],
            "plant": ["P", "P", "P"],
        }
    )  # fmt: skip
    chunks = list(storing.copy_chunks(clean, claim_id=7, award_id=3))
    by_matrix = storing._matrix_text(storing._columns(clean, claim_id=7, award_id=3), 0, 3)
    assert chunks == [(by_matrix, 3)]
    table = storing._arrow_table(clean, claim_id=7, award_id=3)
    assert (storing._arrow_text(table) is None) == ("\t" in buyer)  # which way it went
    assert by_matrix.split(b"\n")[1].split(b"\t")[5] == written
    assert b"\t999999999.999\t0.01\t" in by_matrix and b"\t1969-12-31\t" in by_matrix


# --- one rule at a time: the exact error, and nothing stored -----------------------------------

ONE_RULE = [
    pytest.param({"buyer_name": ""}, (2, "buyer_name", "", "required_value"), id="required_value"),
    pytest.param({"plant": "P" * 101}, (2, "plant", "P" * 101, "too_long"), id="too_long"),
    pytest.param({"invoice_date": "2027-13-01"}, (2, "invoice_date", "2027-13-01", "date_format"), id="date_format"),
    pytest.param({"invoice_date": "2027-05-09"}, (2, "invoice_date", "2027-05-09", "date_in_period"), id="date_before_commissioning"),
    pytest.param({"invoice_date": "01/07/2027"}, (2, "invoice_date", "01/07/2027", "date_in_period"), id="date_after_period"),
    pytest.param({"hsn_code": "85052000"}, (2, "hsn_code", "85052000", "hsn_prefix"), id="hsn_prefix"),
    pytest.param({"quantity_kg": "1,250.5"}, (2, "quantity_kg", "1,250.5", "quantity_format"), id="quantity_format"),
    pytest.param({"net_sales_value": "100.005"}, (2, "net_sales_value", "100.005", "value_format"), id="value_format"),
    pytest.param({"quantity_kg": "0"}, (2, "quantity_kg", "0", "sign"), id="sign"),
    pytest.param({"credit_note_ref": "INV/NOWHERE", "quantity_kg": "-1", "net_sales_value": "-5000"},
                 (2, "credit_note_ref", "INV/NOWHERE", "credit_note_target"), id="credit_note_target"),
    pytest.param({"buyer_gstin": "27AAPFU0939F1ZA"}, (2, "buyer_gstin", "27AAPFU0939F1ZA", "gstin_format"), id="gstin_check_character"),
    pytest.param({"buyer_gstin": "27AAPFU0939F1"}, (2, "buyer_gstin", "27AAPFU0939F1", "gstin_format"), id="gstin_format"),
    pytest.param({"buyer_gstin": ""}, (2, "export_country", "", "export_country"), id="export_country"),
    pytest.param({"related_party": "maybe"}, (2, "related_party", "maybe", "related_party_flag"), id="related_party_flag"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "expected"), ONE_RULE)
def test_each_rule_refuses_the_file_with_the_exact_error_and_stores_nothing(
    award, firm_user, change, expected
):
    records = [line(1, dt.date(2027, 5, 12), **change), line(2, dt.date(2027, 5, 13))]
    upload = submit(award, firm_user, csv_bytes(records))
    assert upload.status == ClaimUpload.Status.REJECTED
    assert errors_of(upload) == [expected]
    assert upload.summary_by_rule == {expected[3]: 1}
    assert upload.message == "1 error in 1 of 2 lines; nothing was stored."
    assert nothing_stored()


@pytest.mark.django_db
def test_own_gstin_rule_names_the_firm(award, firm_user):
    own = award.bid.firm.gstin
    upload = submit(award, firm_user, csv_bytes([line(1, dt.date(2027, 5, 12), buyer_gstin=own)]))
    assert errors_of(upload) == [(2, "buyer_gstin", own, "own_gstin")]
    assert upload.errors[0]["message"] == (
        f"Buyer GSTIN {own} is the firm's own GSTIN; a supply to yourself is not a sale."
    )
    assert nothing_stored()


@pytest.mark.django_db
def test_duplicate_in_file_is_reported_with_the_first_row(award, firm_user):
    records = [line(1, dt.date(2027, 5, 12)), line(1, dt.date(2027, 5, 13))]
    upload = submit(award, firm_user, csv_bytes(records))
    assert errors_of(upload) == [(3, "invoice_number", "INV/2705/00001", "duplicate_in_file")]
    assert upload.errors[0]["message"] == (
        "Invoice number INV/2705/00001 already appears on row 2; each invoice may be claimed once."
    )
    assert nothing_stored()


def _zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


FILE_CASES = [
    pytest.param(
        csv_bytes([line(1, dt.date(2027, 5, 12))], header=[h for h in HEADER if h != "hsn_code"] + ["colour"]),
        "sales.csv", "columns",
        "The header row of 'sales.csv' does not match the sales-claim template: missing required "
        "columns: hsn_code; unknown columns: 'colour'.",
        id="columns",
    ),
    pytest.param(b"PK\x03\x04" + b"\x00" * 64, "sales.xlsx", "file_unreadable",
                 "'sales.xlsx' is not a readable Excel workbook: its zip structure is damaged.",
                 id="file_unreadable"),
    pytest.param(_zip_of({"notes.txt": b"hello"}), "sales.xlsx", "file_type",
                 "'sales.xlsx' is a zip archive but not an Excel workbook",
                 id="file_type-zip-not-workbook"),
    pytest.param(csv_bytes([]), "sales.csv", "no_lines",
                 "'sales.csv' has a header row but no sales lines below it.", id="no_lines"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "name", "rule", "message"), FILE_CASES)
def test_a_file_refused_whole_reports_its_rule_and_stores_nothing(
    award, firm_user, data, name, rule, message
):
    upload = submit(award, firm_user, data, name=name)
    assert upload.status == ClaimUpload.Status.REJECTED
    assert upload.summary_by_rule == {rule: 1}
    assert message in upload.message
    assert upload.errors == [
        {"row": 1, "column": "", "value": "", "rule": rule, "message": upload.message}
    ]
    assert nothing_stored()


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_an_xlsx_with_a_formula_is_refused_naming_the_cell(award, firm_user):
    record = line(1, dt.date(2027, 5, 12))
    values = [record[name] for name in HEADER]
    values[HEADER.index("net_sales_value")] = "=H2*5000"
    upload = submit(award, firm_user, xlsx_bytes([list(HEADER), values]), name="sales.xlsx")
    assert upload.summary_by_rule == {"formula": 1}
    assert upload.message.startswith("Sheet 'Sheet' cell I2 holds a formula (=H2*5000).")
    assert nothing_stored()


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_unopened(award, firm_user):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<c>" + b"0" * (60 * 1024 * 1024) + b"</c>")
    upload = submit(award, firm_user, buffer.getvalue(), name="sales.xlsx")
    assert upload.summary_by_rule == {"zip_bomb": 1}
    assert "was refused unopened" in upload.message
    assert nothing_stored()


@pytest.mark.django_db
def test_content_not_matching_the_extension_is_refused_at_upload(award, firm_user):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    with pytest.raises(ValidationError) as refused:
        services.receive_upload(
            actor=firm_user, award=award, period_start=Q1_START,
            upload=uploaded(png, "sales.csv"), now=AFTER_Q1, enqueue=False,
        )  # fmt: skip
    assert "'sales.csv' is not CSV text" in refused.value.messages[0]
    assert "It looks like a PNG image." in refused.value.messages[0]
    with pytest.raises(ValidationError, match="is not an Excel workbook"):
        services.receive_upload(
            actor=firm_user, award=award, period_start=Q1_START,
            upload=uploaded(csv_bytes(lines_for(Q1_START)), "sales.xlsx"), now=AFTER_Q1,
            enqueue=False,
        )  # fmt: skip
    assert not ClaimUpload.objects.exists()


@pytest.mark.django_db
def test_size_and_row_limits_are_configurable(award, firm_user, settings):
    settings.CLAIM_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="the limit for one upload is 0 MB"):
        services.receive_upload(
            actor=firm_user, award=award, period_start=Q1_START,
            upload=uploaded(csv_bytes(lines_for(Q1_START, 20))), now=AFTER_Q1, enqueue=False,
        )  # fmt: skip
    settings.CLAIM_UPLOAD_MAX_BYTES = None
    settings.CLAIM_UPLOAD_MAX_ROWS = 3
    upload = submit(award, firm_user, csv_bytes(lines_for(Q1_START, 4)))
    assert upload.summary_by_rule == {"row_limit": 1}
    assert "has 4 sales lines; at most 3 may be uploaded at once" in upload.message
    assert nothing_stored()


@pytest.mark.django_db
def test_a_file_mixing_many_errors_reports_them_all(award, firm_user):
    records = [
        line(1, dt.date(2027, 5, 12), buyer_name="", hsn_code="1234"),
        line(2, dt.date(2027, 7, 2), quantity_kg="abc"),
        line(3, dt.date(2027, 5, 14), buyer_gstin=award.bid.firm.gstin, related_party="?"),
        line(3, dt.date(2027, 5, 15)),
        line(5, dt.date(2027, 5, 16)),
    ]
    upload = submit(award, firm_user, csv_bytes(records))
    assert errors_of(upload) == [
        (2, "buyer_name", "", "required_value"),
        (2, "hsn_code", "1234", "hsn_prefix"),
        (3, "invoice_date", "2027-07-02", "date_in_period"),
        (3, "quantity_kg", "abc", "quantity_format"),
        (4, "buyer_gstin", award.bid.firm.gstin, "own_gstin"),
        (4, "related_party", "?", "related_party_flag"),
        (5, "invoice_number", "INV/2705/00003", "duplicate_in_file"),
    ]
    assert upload.error_count == 7
    assert upload.message == "7 errors in 4 of 5 lines; nothing was stored."
    assert nothing_stored()


# --- across claims ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invoice_claimed_before_is_refused_in_a_later_claim(award, firm_user):
    first = submit(award, firm_user, csv_bytes(lines_for(Q1_START, 3)))
    assert first.status == ClaimUpload.Status.ACCEPTED
    repeated = line(2, dt.date(2027, 7, 5), invoice_number="inv/2705/00002 ")
    second = submit(
        award, firm_user, csv_bytes([repeated, *lines_for(Q2_START, 2, first=10)]),
        period_start=Q2_START, now=AFTER_Q2,
    )  # fmt: skip
    assert errors_of(second) == [(2, "invoice_number", "inv/2705/00002 ", "duplicate_prior")]
    assert second.errors[0]["message"] == (
        "Invoice number inv/2705/00002 was already claimed in another claim of this award; "
        "an invoice can be claimed once."
    )
    assert Claim.objects.count() == 1 and ClaimLine.objects.count() == 3


@pytest.mark.django_db
def test_the_database_refuses_an_invoice_number_twice_for_an_award(award, firm_user):
    submit(award, firm_user, csv_bytes(lines_for(Q1_START, 1)))
    stored = ClaimLine.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLine.objects.create(
            claim=stored.claim, row=99, award=award, invoice_number=stored.invoice_number.lower(),
            invoice_date=stored.invoice_date, buyer_name="B", buyer_gstin=BUYER_GSTIN,
            is_export=False, hsn_code="85051110", magnet_grade="N52",
            quantity_kg=Decimal("1"), net_sales_value=Decimal("5000"), is_credit_note=False,
            related_party=False, unit_value_outlier=False, plant="P",
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        # a line's award must be its claim's
        other = AwardFactory()
        cursor.execute(
            "UPDATE claims_claimline SET award_id = %s WHERE claim_id = %s",
            [other.pk, stored.claim_id],
        )


@pytest.mark.django_db
def test_a_credit_note_may_reverse_an_invoice_of_an_earlier_claim(award, firm_user):
    submit(award, firm_user, csv_bytes(lines_for(Q1_START, 2)))
    credit = line(1, dt.date(2027, 7, 3), invoice_number="CN/27-28/001",
                  credit_note_ref="INV/2705/00001", quantity_kg="-10", net_sales_value="-50000")  # fmt: skip
    upload = submit(award, firm_user, csv_bytes([credit]), period_start=Q2_START, now=AFTER_Q2)
    assert upload.status == ClaimUpload.Status.ACCEPTED
    assert Claim.objects.get(period_start=Q2_START).eligible_kg == Decimal("-10.000")


@pytest.mark.django_db
def test_a_new_file_for_a_draft_claim_replaces_its_lines_and_frees_their_numbers(award, firm_user):
    first = submit(award, firm_user, csv_bytes(lines_for(Q1_START, 3)))
    # the new file drops invoice 3 and adds 7; the Q2 file may then use number 3
    records = [*lines_for(Q1_START, 2), line(7, dt.date(2027, 6, 1))]
    second = submit(award, firm_user, csv_bytes(records))
    first.refresh_from_db()
    claim = Claim.objects.get()
    assert second.status == ClaimUpload.Status.ACCEPTED
    assert first.status == ClaimUpload.Status.SUPERSEDED and first.file  # raw file kept
    assert claim.current_upload == second and claim.line_count == 3
    assert sorted(ClaimLine.objects.values_list("invoice_number", flat=True)) == [
        "INV/2705/00001", "INV/2705/00002", "INV/2706/00007",
    ]  # fmt: skip
    reuse = line(3, dt.date(2027, 7, 9), invoice_number="INV/2705/00003")
    third = submit(award, firm_user, csv_bytes([reuse]), period_start=Q2_START, now=AFTER_Q2)
    assert third.status == ClaimUpload.Status.ACCEPTED
    assert "claim.lines_replaced" in AuditEvent.objects.values_list("action", flat=True)


@pytest.mark.django_db
def test_the_same_bytes_again_are_recognised(award, firm_user):
    data = csv_bytes(lines_for(Q1_START, 2))
    first = submit(award, firm_user, data)
    again = services.receive_upload(
        actor=firm_user, award=award, period_start=Q1_START, upload=uploaded(data, "again.csv"),
        now=AFTER_Q1 + dt.timedelta(days=1), enqueue=False,
    )  # fmt: skip
    assert again.recognised and again.upload == first
    assert ClaimUpload.objects.count() == 1
    # a refused file is recognised too: its errors stand
    bad = csv_bytes([line(1, dt.date(2027, 5, 12), hsn_code="1")])
    refused = submit(award, firm_user, bad)
    assert services.receive_upload(
        actor=firm_user, award=award, period_start=Q1_START, upload=uploaded(bad),
        now=AFTER_Q1, enqueue=False,
    ).upload == refused  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "name"),
    [
        pytest.param({"bom": True}, "sales.csv", id="utf8-bom"),
        pytest.param({"delimiter": ";"}, "sales.csv", id="semicolon"),
        pytest.param({"delimiter": ";", "bom": True}, "sales.csv", id="semicolon-bom"),
        pytest.param({}, "SALES.CSV", id="capital-extension"),
    ],
)
def test_encoding_and_delimiter_variants_are_accepted(award, firm_user, options, name):
    records = [line(1, dt.date(2027, 5, 12), buyer_name="Sharma; Rao, & Co — ₹")]
    upload = submit(award, firm_user, csv_bytes(records, **options), name=name)
    assert upload.status == ClaimUpload.Status.ACCEPTED
    assert ClaimLine.objects.get().buyer_name == "Sharma; Rao, & Co — ₹"


@pytest.mark.django_db
def test_an_xlsx_upload_is_accepted(award, firm_user):
    record = line(1, dt.date(2027, 5, 12))
    rows = [list(HEADER), [record[name] for name in HEADER]]
    rows[1][HEADER.index("quantity_kg")] = 100.5  # a number cell
    rows[1][HEADER.index("invoice_date")] = dt.datetime(2027, 5, 12)  # noqa: DTZ001 (Excel has no zone)
    upload = submit(award, firm_user, xlsx_bytes(rows), name="sales.xlsx")
    assert upload.status == ClaimUpload.Status.ACCEPTED
    assert ClaimLine.objects.get().quantity_kg == Decimal("100.500")


@pytest.mark.django_db
def test_the_annotated_file_carries_each_rows_errors_and_uploads_again_once_fixed(award, firm_user):
    records = [line(1, dt.date(2027, 5, 12), hsn_code="8504"), line(2, dt.date(2027, 5, 13),
               buyer_name="=HYPERLINK(\"http://x\")"), line(3, dt.date(2027, 5, 14))]  # fmt: skip
    refused = submit(award, firm_user, csv_bytes(records))
    assert refused.status == ClaimUpload.Status.REJECTED
    with refused.annotated_file.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    rows = text.splitlines()
    assert rows[0] == ",".join([*HEADER, "errors"])
    assert rows[1].endswith(",HSN code '8504' must be 6 or 8 digits beginning 850511.")
    assert "'=HYPERLINK" in rows[2]  # neutralised, never a live formula
    # the firm fixes the cell in its copy and uploads the same file back
    fixed = text.replace(",8504,", ",85051110,").encode("utf-8")
    accepted = submit(award, firm_user, fixed, now=AFTER_Q1 + dt.timedelta(hours=1))
    assert accepted.status == ClaimUpload.Status.ACCEPTED
    assert ClaimLine.objects.get(row=3).buyer_name == '\'=HYPERLINK("http://x")'


# --- who and when ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_uploads_open_after_the_period_and_close_with_its_window(award, firm_user):
    def attempt(now):
        return services.receive_upload(
            actor=firm_user, award=award, period_start=Q1_START,
            upload=uploaded(csv_bytes(lines_for(Q1_START))), now=now, enqueue=False,
        )  # fmt: skip

    with pytest.raises(ValidationError, match="runs to 30 Jun 2027; its sales may be uploaded"):
        attempt(dt.datetime(2027, 6, 30, 18, 0, tzinfo=IST))
    with pytest.raises(ValidationError, match="closed on 28 Sep 2027"):
        attempt(dt.datetime(2027, 9, 29, 9, 0, tzinfo=IST))
    with pytest.raises(ValidationError, match="does not start a claim period"):
        services.receive_upload(
            actor=firm_user, award=award, period_start=dt.date(2027, 4, 1),
            upload=uploaded(csv_bytes(lines_for(Q1_START))), now=AFTER_Q1, enqueue=False,
        )  # fmt: skip
    assert attempt(dt.datetime(2027, 9, 28, 23, 0, tzinfo=IST)).upload.progress.status == "queued"


@pytest.mark.django_db
def test_an_uncommissioned_award_has_no_claim_periods(rules):
    award = AwardFactory()
    user = award.bid.firm.users.get()
    with pytest.raises(ValidationError, match="has no commissioned plant yet"):
        services.receive_upload(
            actor=user, award=award, period_start=Q1_START,
            upload=uploaded(csv_bytes(lines_for(Q1_START))), now=AFTER_Q1, enqueue=False,
        )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.FIRM_USER])
def test_only_the_awards_own_firm_uploads(award, role):
    outsider = FirmUserFactory()
    staff = UserFactory(role=role)
    for actor in (outsider, staff):
        with pytest.raises(PermissionDenied):
            services.receive_upload(
                actor=actor, award=award, period_start=Q1_START,
                upload=uploaded(csv_bytes(lines_for(Q1_START))), now=AFTER_Q1, enqueue=False,
            )  # fmt: skip
    assert not ClaimUpload.objects.exists()


@pytest.mark.django_db
def test_a_consortium_member_uploads_and_its_gstin_counts_as_own(rules):
    award = sales_award()
    member = BidParticipantFactory(bid=award.bid).firm
    user = FirmUserFactory(firm=member)
    records = [line(1, dt.date(2027, 5, 12), buyer_gstin=member.gstin)]
    upload = submit(award, user, csv_bytes(records))
    assert errors_of(upload) == [(2, "buyer_gstin", member.gstin, "own_gstin")]


@pytest.mark.django_db
def test_a_second_file_waits_while_one_is_being_checked(award, firm_user):
    services.receive_upload(
        actor=firm_user, award=award, period_start=Q1_START,
        upload=uploaded(csv_bytes(lines_for(Q1_START, 2))), now=AFTER_Q1, enqueue=False,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="is still being checked for Q1 FY 2027-28"):
        services.receive_upload(
            actor=firm_user, award=award, period_start=Q1_START,
            upload=uploaded(csv_bytes(lines_for(Q1_START, 3))), now=AFTER_Q1, enqueue=False,
        )  # fmt: skip


@pytest.mark.django_db
def test_a_stalled_upload_can_be_run_again_and_a_fresh_one_cannot(award, firm_user):
    received = services.receive_upload(
        actor=firm_user, award=award, period_start=Q1_START,
        upload=uploaded(csv_bytes(lines_for(Q1_START, 2))), now=AFTER_Q1, enqueue=False,
    )  # fmt: skip
    upload = received.upload
    with pytest.raises(ValidationError, match="only a failed or stalled check can be re-run"):
        services.rerun_upload(actor=firm_user, upload=upload, now=AFTER_Q1)
    later = AFTER_Q1 + services.stall_after() + dt.timedelta(minutes=1)
    services.rerun_upload(actor=firm_user, upload=upload, now=later)
    assert services.process_upload(upload_id=upload.pk, now=later).status == "accepted"
    # a processed upload is not taken again
    assert services.process_upload(upload_id=upload.pk, now=later) is None
