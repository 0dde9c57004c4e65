"""Return files as a bank would send them, for the tests (a plain module, not a test module)."""

from __future__ import annotations

import io

from openpyxl import Workbook

HEADER = ["instruction_id", "utr", "amount", "date", "status", "reason"]


def return_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(f'"{cell}"' for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def return_xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def success(instruction, utr: str, date: str = "2028-09-04") -> list[str]:
    return [instruction.instruction_id, utr, f"{instruction.amount:.2f}", date, "SUCCESS", ""]


def failure(instruction, reason: str = "Account closed", date: str = "2028-09-04") -> list[str]:
    return [instruction.instruction_id, "", f"{instruction.amount:.2f}", date, "FAILED", reason]
