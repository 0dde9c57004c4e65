"""The published column dictionary of a sales-claim upload, and the blank templates built from it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

# Accepted date layouts, in the order the dictionary lists them. Day and month may have
# one digit in the day-first layouts ("3/7/2027"); the ISO layout is always zero-padded.
# Month-first (American) dates are never accepted: "03/07/2027" is 3 July.
DATE_FORMATS = ("YYYY-MM-DD", "DD-MM-YYYY", "DD/MM/YYYY")

QUANTITY_DECIMALS = 3  # kilograms to the gram
VALUE_DECIMALS = 2  # rupees to the paisa
# Bounds on one line, far above any real invoice, so that a file's sums stay exact in
# 64-bit integers (grams and paise) however many lines it has up to a few million.
QUANTITY_MAX_INTEGER_DIGITS = 9  # under 1,000,000 tonnes
VALUE_MAX_INTEGER_DIGITS = 10  # under Rs 1,000 crore

RELATED_PARTY_YES = frozenset({"y", "yes", "true", "1"})
RELATED_PARTY_NO = frozenset({"n", "no", "false", "0"})

# ISO 3166-1 alpha-2, officially assigned codes (249). India is listed: the validator
# refuses it for exports with its own message.
_ISO_COUNTRY_CODES_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
ISO_COUNTRY_CODES = frozenset(_ISO_COUNTRY_CODES_TEXT.split())


@dataclass(frozen=True)
class Column:
    """One column of the upload, as the template and the column dictionary page show it."""

    name: str  # the header, exactly as the template writes it
    label: str  # the column's name inside sentences ("Invoice date")
    required: bool  # every line must have a value
    header_required: bool  # the header must be present (optional columns may be left out)
    requirement: str  # when a value is needed, in words
    type: str
    format: str
    description: str
    example: str
    # Typed as text in the XLSX template, so Excel keeps leading zeros and long digit runs.
    text_in_template: bool = True


COLUMNS: tuple[Column, ...] = (
    Column(
        name="invoice_number",
        label="Invoice number",
        required=True,
        header_required=True,
        requirement="Required",
        type="text",
        format="As printed on the tax invoice (or on the credit note, for a return); at most one line per number in a claim",
        description=(
            "The number of the GST tax invoice for the sale, or of the credit note for a "
            "return. A number can be claimed once, ever: it may not repeat within the file "
            "or appear in an earlier claim of the same award. Compared ignoring case and "
            "surrounding spaces."
        ),
        example="INV/27-28/000123",
    ),
    Column(
        name="invoice_date",
        label="Invoice date",
        required=True,
        header_required=True,
        requirement="Required",
        type="date",
        format=(
            "YYYY-MM-DD (2027-04-05), DD-MM-YYYY (05-04-2027) or DD/MM/YYYY (05/04/2027); "
            "in the day-first forms the day and month may have one digit (5/4/2027). "
            "Month-first dates are not accepted. An Excel date cell is read as its date."
        ),
        description="The date of the invoice or credit note. It must fall inside the claim period.",
        example="2027-04-05",
        text_in_template=False,
    ),
    Column(
        name="buyer_name",
        label="Buyer name",
        required=True,
        header_required=True,
        requirement="Required",
        type="text",
        format="Free text",
        description="The buyer's legal name, as on the invoice.",
        example="Bharat Motors Ltd",
    ),
    Column(
        name="buyer_gstin",
        label="Buyer GSTIN",
        required=False,
        header_required=True,
        requirement="Required for a domestic sale; leave blank only for an export",
        type="GSTIN",
        format=(
            "15 characters: state code, the buyer's PAN, entity number, Z, check character "
            "(small letters are read as capitals)"
        ),
        description=(
            "The buyer's GST identification number; its check character is verified. It may "
            "not be the firm's own GSTIN. A line without a GSTIN is an export and needs "
            "export_country."
        ),
        example="27AAPFU0939F1ZV",
    ),
    Column(
        name="export_country",
        label="Export country",
        required=False,
        header_required=False,
        requirement="Required when buyer_gstin is blank (an export); otherwise blank or IN",
        type="code",
        format="ISO 3166-1 alpha-2 country code, 2 letters in any case (DE, JP, US); not IN",
        description=(
            "The country the goods were exported to. The column may be left out of a file "
            "that has no exports."
        ),
        example="JP",
    ),
    Column(
        name="hsn_code",
        label="HSN code",
        required=True,
        header_required=True,
        requirement="Required",
        type="code",
        format="6 or 8 digits beginning 850511; spaces and dots between digit groups are ignored (8505 11 10)",
        description=(
            "The HSN code on the invoice. Only HSN 8505 11 (permanent magnets of metal) "
            "sales are eligible."
        ),
        example="85051110",
    ),
    Column(
        name="magnet_grade",
        label="Magnet grade",
        required=True,
        header_required=True,
        requirement="Required",
        type="text",
        format="The grade designation, e.g. N52, N42SH, N38UH (compared in capitals)",
        description="The sintered NdFeB grade sold on the line.",
        example="N42SH",
    ),
    Column(
        name="quantity_kg",
        label="Quantity",
        required=True,
        header_required=True,
        requirement="Required",
        type="number",
        format=(
            "Kilograms with at most 3 decimals (to the gram), a point for decimals, no "
            "thousands separators or units: 1250.5 (zeros after the third decimal are "
            "ignored). Positive; negative on a credit note. Below 1,000,000,000 kg."
        ),
        description="Net weight of magnets sold on the line (returned, on a credit note).",
        example="1250.500",
        text_in_template=False,
    ),
    Column(
        name="net_sales_value",
        label="Net sales value",
        required=True,
        header_required=True,
        requirement="Required",
        type="number",
        format=(
            "Rupees excluding GST with at most 2 decimals (to the paisa), a point for "
            "decimals, no thousands separators or currency sign: 6252500.00 (zeros after the "
            "second decimal are ignored). Positive; negative on a credit note. Below Rs 1,000 crore."
        ),
        description="The line's taxable value, net of GST (reversed, on a credit note).",
        example="6252500.00",
        text_in_template=False,
    ),
    Column(
        name="credit_note_ref",
        label="Credit note reference",
        required=False,
        header_required=False,
        requirement="Required on a credit note (a return); blank on an invoice",
        type="text",
        format="The invoice number the credit note reverses",
        description=(
            "Filled only on a credit-note line: the number of the invoice it reverses, in "
            "this file or in an earlier claim of the award. Its quantity and value are "
            "negative. The column may be left out of a file without returns."
        ),
        example="INV/27-28/000101",
    ),
    Column(
        name="related_party",
        label="Related party",
        required=True,
        header_required=True,
        requirement="Required",
        type="yes/no",
        format="Y or N (also yes/no, true/false, 1/0; any case)",
        description=(
            "Whether the buyer is a related party of the firm. Related-party lines are "
            "accepted and flagged for the verifier to check the price is at arm's length."
        ),
        example="N",
    ),
    Column(
        name="plant",
        label="Plant",
        required=True,
        header_required=True,
        requirement="Required",
        type="text",
        format="The plant's name or code as registered with the scheme",
        description=(
            "The integrated plant that made the magnets sold on the line: the award's "
            "registered plant (case and spacing aside)."
        ),
        example="Pune-1",
    ),
)

# The column the portal adds to a refused file it hands back (each row's errors, for the firm
# to fix in place); ignored when that file is uploaded again.
ANNOTATION_COLUMN = "errors"

COLUMN_BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
HEADER: tuple[str, ...] = tuple(column.name for column in COLUMNS)

# Spaces, underscores and hyphens carry no meaning in a header: "Invoice Number",
# "invoice_number" and "INVOICE-NUMBER" all name the same column.
_HEADER_NOISE = re.compile(r"[\s_\-]+")


def header_key(text: str) -> str:
    """The form in which headers are compared: case-folded, spaces/underscores/hyphens removed."""
    return _HEADER_NOISE.sub("", text.casefold())


COLUMN_BY_HEADER_KEY: dict[str, Column] = {header_key(column.name): column for column in COLUMNS}


def template_csv() -> bytes:
    """A blank CSV template: the header row, UTF-8 with a BOM so Excel reads it as UTF-8."""
    return ("\ufeff" + ",".join(HEADER) + "\r\n").encode("utf-8")


def template_xlsx() -> bytes:
    """A blank XLSX template: the header on sheet 1 (the sheet that is read), the dictionary on sheet 2."""
    workbook = Workbook()
    lines = workbook.active
    lines.title = "Sales lines"
    lines.append(list(HEADER))
    lines.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        lines.cell(row=1, column=index).font = Font(bold=True)
        lines.column_dimensions[letter].width = max(14, len(column.name) + 4)
        if column.text_in_template:
            lines.column_dimensions[letter].number_format = "@"
    related = DataValidation(
        type="list", formula1='"Y,N"', allow_blank=True, showErrorMessage=False
    )
    letter = get_column_letter(HEADER.index("related_party") + 1)
    related.add(f"{letter}2:{letter}1048576")
    lines.add_data_validation(related)

    dictionary = workbook.create_sheet("Column dictionary")
    dictionary.append(["Column", "Required", "Type", "Format", "Description", "Example"])
    for cell in dictionary[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        dictionary.append(
            [
                column.name,
                column.requirement,
                column.type,
                column.format,
                column.description,
                column.example,
            ]
        )
    widths = {"A": 18, "B": 30, "C": 10, "D": 60, "E": 70, "F": 20}
    for letter, width in widths.items():
        dictionary.column_dimensions[letter].width = width
    for row in dictionary.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            # Examples such as "1250.500" stay text, as the firm would type them.
            cell.number_format = "@"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
