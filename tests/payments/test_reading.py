"""Reading a bank's return file: bank headers matched, unsafe or unreadable files refused with a reason."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook

from incentives.payments.reading import FileRejected, read_return_file
from tests.payments.files import return_csv, return_xlsx


def test_bank_style_headers_and_semicolons_are_read():
    data = (
        b"Instruction ID;UTR No;Amount;Value Date;Status;Failure Reason\n"
        b"RP28290001001;SBIN228245000001;1,00,000.00;04-09-2028;Success;\n"
        b"\n"
    )
    table = read_return_file(data, "bank.csv")
    assert len(table.rows) == 1 and table.rows[0].number == 2
    assert table.rows[0].cells == {
        "instruction_id": "RP28290001001", "utr": "SBIN228245000001", "amount": "1,00,000.00",
        "date": "04-09-2028", "status": "Success", "reason": "",
    }  # fmt: skip
    assert table.letters["utr"] == "B"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "bank.csv", "is empty"),
        (b"instruction_id,utr\n", "bank.txt", "not a .csv or .xlsx"),
        ("instruction_id,utr,amount,date,status\n".encode("utf-16"), "bank.csv", "NUL bytes"),
        (b"instruction_id,utr,amount,date,status\n\xff\n", "bank.csv", "not UTF-8"),
        (b"instruction_id,utr,amount,date,status\n", "bank.csv", "no rows below it"),
        (b"not a zip at all", "bank.xlsx", "not an Excel workbook"),
        (
            return_csv([], header=["instruction_id", "utr", "amount", "date", "status", "colour"])
            + b"x,y,1,2028-09-04,SUCCESS,red\n",
            "bank.csv",
            "unknown columns: 'colour' (column F)",
        ),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, name, message):
    with pytest.raises(FileRejected, match=re.escape(message)):
        read_return_file(data, name)


def test_a_workbook_with_a_formula_is_refused():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["instruction_id", "utr", "amount", "date", "status"])
    sheet.append(["RP28290001001", "SBIN228245000001", "=1+1", "2028-09-04", "SUCCESS"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(FileRejected, match=r"Cell C2 .* holds a formula"):
        read_return_file(buffer.getvalue(), "bank.xlsx")


def test_an_xlsx_keeps_its_row_numbers():
    data = return_xlsx([["RP1", "U", "1.00", "2028-09-04", "SUCCESS", ""], [None] * 6,
                        ["RP2", "", "1.00", "2028-09-04", "FAILED", "x"]])  # fmt: skip
    assert [row.number for row in read_return_file(data, "b.xlsx").rows] == [2, 4]
