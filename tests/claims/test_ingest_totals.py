"""Sales-claim totals: exact to the gram and paisa, and random valid files round-trip exactly."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beneficiaries.validators import gstin_check_character
from incentives.ingest.columns import HEADER, RELATED_PARTY_NO, RELATED_PARTY_YES
from incentives.ingest.validate import totals, validate
from tests.claims.ingest_lines import (
    BUYER_GSTIN,
    CONTEXT,
    OTHER_BUYER_GSTIN,
    VALID_LINES,
    check,
    lines,
)

# --- exact arithmetic and totals -------------------------------------------------------------


def test_decimal_text_is_summed_exactly_to_the_gram_and_paisa():
    records = [
        dict(VALID_LINES[0], invoice_number="A", quantity_kg="0.1", net_sales_value="0.10"),
        dict(VALID_LINES[0], invoice_number="B", quantity_kg="0.2", net_sales_value="0.20"),
    ]
    result = check(records)
    assert result.clean["quantity_g"].sum() == 300
    assert result.clean["net_sales_value_paise"].sum() == 30
    summed = totals(result.clean)
    assert summed["net_kg"] == Decimal("0.300") and str(summed["net_kg"]) == "0.300"
    assert summed["net_value"] == Decimal("0.30")


def test_largest_accepted_line_is_exact():
    records = lines(
        (0, "quantity_kg", "999999999.999"),
        (0, "net_sales_value", "9999999999.99"),
    )
    result = check(records)
    assert result.ok
    assert result.clean["quantity_g"].tolist()[0] == 999_999_999_999
    assert result.clean["net_sales_value_paise"].tolist()[0] == 999_999_999_999


def test_totals_net_credit_notes_and_break_down():
    extra = [
        dict(
            VALID_LINES[0],
            invoice_number="INV/27-28/0003",
            invoice_date="2027-05-01",
            buyer_gstin=OTHER_BUYER_GSTIN,
            buyer_name="Chennai Rotors",
            magnet_grade="n42sh",
            quantity_kg="100",
            net_sales_value="500000",
            related_party="Y",
        )
    ]
    result = check(lines(extra=extra))
    assert result.ok
    summed = totals(result.clean)

    assert summed["net_kg"] == Decimal("1600.000")  # 1250.5 + 300 - 50.5 + 100
    assert summed["net_value"] == Decimal("8150000.00")
    assert summed["by_month"] == {
        "2027-04": {"kg": Decimal("1250.500"), "value": Decimal("6252500.00")},
        "2027-05": {"kg": Decimal("400.000"), "value": Decimal("2150000.00")},
        "2027-06": {"kg": Decimal("-50.500"), "value": Decimal("-252500.00")},
    }
    assert summed["by_grade"] == {
        "N42SH": {"kg": Decimal("400.000"), "value": Decimal("2150000.00")},
        "N52": {"kg": Decimal("1200.000"), "value": Decimal("6000000.00")},
    }
    assert summed["by_buyer"] == {
        BUYER_GSTIN: {"kg": Decimal("1200.000"), "value": Decimal("6000000.00")},
        OTHER_BUYER_GSTIN: {"kg": Decimal("100.000"), "value": Decimal("500000.00")},
        "Sakura Magnetics KK (JP)": {"kg": Decimal("300.000"), "value": Decimal("1650000.00")},
    }
    assert summed["domestic"] == {"kg": Decimal("1300.000"), "value": Decimal("6500000.00")}
    assert summed["export"] == {"kg": Decimal("300.000"), "value": Decimal("1650000.00")}
    assert summed["related_party"] == {
        "kg": Decimal("100.000"),
        "value": Decimal("500000.00"),
        "kg_share": Decimal("0.0625"),
        "value_share": Decimal("0.0613"),  # 500000 / 8150000 = 0.061349...
    }


def test_short_dates_alone_in_a_file_parse():
    records = [dict(VALID_LINES[0], invoice_date="5/4/2027")]
    result = check(records)
    assert result.ok
    assert result.clean["invoice_date"].dt.date.tolist() == [dt.date(2027, 4, 5)]


def test_totals_of_no_lines_are_zero():
    result = validate(pd.DataFrame({name: pd.Series([], dtype=object) for name in HEADER}), CONTEXT)
    assert result.ok and result.clean is not None
    summed = totals(result.clean)
    assert summed["net_kg"] == 0 and summed["by_month"] == {}
    assert summed["related_party"]["kg_share"] == Decimal("0.0000")


# --- property: random valid files pass, and their numbers round-trip exactly ----------------

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@st.composite
def gstins(draw) -> str:
    state = draw(st.sampled_from([f"{n:02d}" for n in range(1, 39)] + ["97", "99"]))
    pan = (
        "".join(draw(st.lists(st.sampled_from(LETTERS), min_size=3, max_size=3)))
        + draw(st.sampled_from("CPHFATBLJG"))
        + draw(st.sampled_from(LETTERS))
        + f"{draw(st.integers(0, 9999)):04d}"
        + draw(st.sampled_from(LETTERS))
    )
    entity = draw(st.sampled_from("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    head = state + pan + entity + "Z"
    return head + gstin_check_character(head)


def decimal_text(units: int, places: int, style: int) -> str:
    """Write a count of 10**-places units as decimal text in one of several valid styles."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**places)
    digits = f"{fraction:0{places}d}"
    if style == 0:
        return f"{sign}{whole}.{digits}"
    if style == 1:
        trimmed = digits.rstrip("0")
        return f"{sign}{whole}" + (f".{trimmed}" if trimmed else "")
    return f"{sign}{whole}.{digits}00"  # zeros past the last place are harmless


DATE_WRITERS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: f"{d.day}-{d.month:02d}-{d.year}",
]


@st.composite
def claim_lines(draw):
    count = draw(st.integers(1, 40))
    days = (CONTEXT.period_end - CONTEXT.period_start).days
    records, grams, paise, dates = [], [], [], []
    for index in range(count):
        invoices = [r["invoice_number"] for r in records if not r["credit_note_ref"]]
        is_credit = bool(invoices) and draw(st.booleans())
        quantity = draw(st.integers(1, 999_999_999_999))
        value = draw(st.integers(1, 999_999_999_999))
        if is_credit:
            quantity, value = -quantity, -value
        export = draw(st.integers(0, 4)) == 0
        day = CONTEXT.period_start + dt.timedelta(days=draw(st.integers(0, days)))
        records.append(
            {
                "invoice_number": f"{'CN' if is_credit else 'INV'}/{index:05d}",
                "invoice_date": draw(st.sampled_from(DATE_WRITERS))(day),
                "buyer_name": draw(st.text(min_size=1, max_size=20).filter(str.strip)),
                "buyer_gstin": "" if export else draw(gstins()),
                "export_country": draw(st.sampled_from(["JP", "de", "US", " KR "]))
                if export
                else "",
                "hsn_code": draw(st.sampled_from(["85051110", "85051190", "850511", "8505.11.90"])),
                "magnet_grade": draw(st.sampled_from(["N52", "N42SH", "n38uh", "N48H"])),
                "quantity_kg": decimal_text(quantity, 3, draw(st.integers(0, 2))),
                "net_sales_value": decimal_text(value, 2, draw(st.integers(0, 2))),
                "credit_note_ref": draw(st.sampled_from(invoices)) if is_credit else "",
                "related_party": draw(
                    st.sampled_from(sorted(RELATED_PARTY_YES | RELATED_PARTY_NO | {"Y", "No"}))
                ),
                "plant": draw(st.sampled_from(["Pune-1", " PUNE-1 ", "pune-1"])),
            }
        )
        grams.append(quantity)
        paise.append(value)
        dates.append(day)
    return records, grams, paise, dates


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_lines())
def test_random_valid_frames_pass_and_round_trip_exactly(generated):
    records, grams, paise, dates = generated
    frame = pd.DataFrame(records, columns=list(HEADER), dtype=object)

    result = validate(frame, CONTEXT)

    assert result.errors.empty, result.errors.to_dict("records")
    assert result.clean["quantity_g"].tolist() == grams
    assert result.clean["net_sales_value_paise"].tolist() == paise
    assert result.clean["invoice_date"].dt.date.tolist() == dates
    summed = totals(result.clean)
    assert summed["net_kg"] == Decimal(sum(grams)).scaleb(-3)
    assert summed["net_value"] == Decimal(sum(paise)).scaleb(-2)
    assert sum(pair["kg"] for pair in summed["by_month"].values()) == summed["net_kg"]


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=25))
def test_any_text_either_parses_exactly_or_is_reported(text):
    """No cell text makes a quantity silently wrong: it is exact or it is an error."""
    record = dict(VALID_LINES[0], quantity_kg=text)
    result = validate(pd.DataFrame([record], columns=list(HEADER), dtype=object), CONTEXT)
    stripped = text.strip()
    plain = re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", stripped)
    if result.clean is not None:
        exact = Decimal(stripped) * 1000
        assert plain and exact == int(exact) and 0 < exact < 10**12
        assert result.clean["quantity_g"].tolist() == [int(exact)]
    else:
        assert set(result.errors["rule"]) <= {"required_value", "quantity_format", "sign"}
        assert result.error_count == 1
