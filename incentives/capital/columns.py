"""The published column dictionary of the investment ledger, and the blank templates built from it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

DATE_FORMATS = ("YYYY-MM-DD", "DD-MM-YYYY", "DD/MM/YYYY")
AMOUNT_MAX_INTEGER_DIGITS = 12  # under Rs 1 lakh crore a line: far above any real invoice

# Head codes as stored (capital.models.Head). What a firm may write in the head column, compared as `head_key` does: case, spaces, "&"/"and",
# dots, hyphens and underscores carry no meaning.
HEAD_SPELLINGS: dict[str, str] = {
    "plantandmachinery": "plant_machinery",
    "plantmachinery": "plant_machinery",
    "pm": "plant_machinery",
    "pandm": "plant_machinery",
    "randd": "rnd",
    "rd": "rnd",
    "rnd": "rnd",
    "researchanddevelopment": "rnd",
    "technologytransfer": "technology_transfer",
    "transferoftechnology": "technology_transfer",
    "tot": "technology_transfer",
    "other": "other",
    "others": "other",
}
_HEAD_NOISE = re.compile(r"[\s_\-./]+")
_HEADER_NOISE = re.compile(r"[\s_\-]+")


def head_key(text: str) -> str:
    return _HEAD_NOISE.sub("", text.casefold().replace("&", "and"))


def header_key(text: str) -> str:
    """Headers are compared case-folded, without spaces, underscores or hyphens."""
    return _HEADER_NOISE.sub("", text.casefold())


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: str
    format: str
    description: str
    example: str


COLUMNS: tuple[Column, ...] = (
    Column(
        name="item",
        label="Item",
        type="text",
        format="At most 300 characters",
        description="What was bought or paid for, as the invoice describes it.",
        example="Hydrogen decrepitation furnace, 2 t/batch",
    ),
    Column(
        name="head",
        label="Head",
        type="choice",
        format="plant and machinery, R&D, technology transfer or other",
        description=(
            "The investment head. Plant and machinery, R&D and technology transfer are "
            "eligible; other (land, buildings, vehicles, working capital...) is listed but not "
            "eligible. Case, spaces and '&' for 'and' do not matter."
        ),
        example="plant and machinery",
    ),
    Column(
        name="vendor",
        label="Vendor",
        type="text",
        format="At most 200 characters",
        description="The supplier who issued the invoice.",
        example="Shanti Thermal Engineering Pvt Ltd",
    ),
    Column(
        name="invoice_number",
        label="Invoice number",
        type="text",
        format="At most 60 characters, as printed on the invoice",
        description=(
            "The vendor's invoice number. The same vendor and number may be claimed once: a "
            "repeat within the file, or one already in an earlier claim of the award, is judged "
            "not eligible. Compared ignoring case and spaces."
        ),
        example="STE/24-25/0117",
    ),
    Column(
        name="invoice_date",
        label="Invoice date",
        type="date",
        format=" or ".join(DATE_FORMATS) + " (day before month; never month first)",
        description=(
            "The date of the invoice. Investment dated before the rule set's eligible-from "
            "date (1 April 2025 as notified) is listed but not eligible; a date after the "
            "upload, or more than ten years before the eligible-from date, is refused as a "
            "mistake."
        ),
        example="2027-03-14",
    ),
    Column(
        name="amount",
        label="Amount",
        type="rupees",
        format="Above zero, at most 2 decimals; digit-grouping commas allowed",
        description="The investment in rupees, excluding GST that is claimed as input credit.",
        example="12,45,00,000.00",
    ),
)
HEADER: tuple[str, ...] = tuple(column.name for column in COLUMNS)
COLUMN_BY_HEADER_KEY: dict[str, Column] = {header_key(c.name): c for c in COLUMNS}
LABEL = {column.name: column.label for column in COLUMNS}


def template_csv() -> bytes:
    """A blank CSV template: the header row, UTF-8 with a BOM so Excel reads it as UTF-8."""
    return ("\ufeff" + ",".join(HEADER) + "\r\n").encode("utf-8")


def template_xlsx() -> bytes:
    """A blank XLSX template: the header on sheet 1 (the sheet that is read), the dictionary on sheet 2."""
    workbook = Workbook()
    lines = workbook.active
    lines.title = "Investment ledger"
    lines.append(list(HEADER))
    lines.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        lines.cell(row=1, column=index).font = Font(bold=True)
        lines.column_dimensions[letter].width = max(16, len(column.name) + 6)
        if column.type == "text":
            lines.column_dimensions[letter].number_format = "@"
    heads = DataValidation(
        type="list",
        formula1='"plant and machinery,R&D,technology transfer,other"',
        allow_blank=True,
        showErrorMessage=False,
    )
    letter = get_column_letter(HEADER.index("head") + 1)
    heads.add(f"{letter}2:{letter}1048576")
    lines.add_data_validation(heads)

    dictionary = workbook.create_sheet("Column dictionary")
    dictionary.append(["Column", "Type", "Format", "Description", "Example"])
    for cell in dictionary[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        dictionary.append(
            [column.name, column.type, column.format, column.description, column.example]
        )
    for letter, width in {"A": 18, "B": 10, "C": 50, "D": 70, "E": 34}.items():
        dictionary.column_dimensions[letter].width = width
    for row in dictionary.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
