"""The payment advice handed to the bank: one line per instruction, as CSV or XLSX, formula-safe."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from incentives.payments.models import PaymentInstruction, PaymentRun
from repm_portal.exports import csv_rows, safe_cell

HEADER = [
    "instruction_id", "beneficiary_name", "account_number", "ifsc", "amount", "letter_number",
    "narration",
]  # fmt: skip


def _lines(run: PaymentRun) -> Iterator[list[Any]]:
    instructions = (
        PaymentInstruction.objects.filter(run=run).select_related("letter").order_by("position")
    )
    for i in instructions:
        yield [
            i.instruction_id, i.account_holder, i.account_number, i.ifsc, f"{i.amount:.2f}",
            i.letter.number, i.narration,
        ]  # fmt: skip


def advice_csv(run: PaymentRun) -> Iterator[str]:
    return csv_rows(HEADER, _lines(run))


def advice_xlsx(run: PaymentRun) -> bytes:
    """A workbook whose account numbers stay text (leading zeros kept) and amounts are numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Payment advice"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, line in enumerate(_lines(run), start=2):
        sheet.append([safe_cell(value) for value in line])
        sheet.cell(row=n, column=3).number_format = "@"
        amount = sheet.cell(row=n, column=5)
        amount.value = Decimal(line[4])  # written as its exact decimal text, never a float
        amount.number_format = "0.00"
    for column, width in zip("ABCDEFG", (16, 40, 20, 13, 16, 28, 40), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = ["HEADER", "advice_csv", "advice_xlsx"]
