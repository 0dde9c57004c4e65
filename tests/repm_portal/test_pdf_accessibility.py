"""Every kind of PDF the portal makes is tagged, titled, has its fonts embedded, reads back its
Hindi as written, writes dates one way, and keeps the sanction letter's QR code off the text."""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import unicodedata

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTContainer, LTFigure, LTImage
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

from tests.repm_portal import pdf_documents

DEVANAGARI = re.compile("[\u0900-\u097f]")


@pytest.fixture(scope="module", params=pdf_documents.ALL, ids=lambda build: build.__name__)
def document(request) -> pdf_documents.Document:
    return request.param()


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _fonts(resources, seen: set[int]) -> list[DictionaryObject]:
    """Every font a page uses, its form XObjects' (SVG images, charts) included."""
    resources = resources.get_object() if resources is not None else {}
    found = [font.get_object() for font in resources.get("/Font", {}).values()]
    for xobject in resources.get("/XObject", {}).values():
        if xobject.idnum in seen:
            continue
        seen.add(xobject.idnum)
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            found += _fonts(xobject.get("/Resources"), seen)
    return found


def _actual_texts(reader: PdfReader) -> list[tuple[str, str]]:
    """The /ActualText and /Lang of every marked-content span that has one, in content order."""
    texts = []
    for page in reader.pages:
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            properties = operands[1] if operator == b"BDC" else None
            if isinstance(properties, DictionaryObject) and "/ActualText" in properties:
                texts.append((str(properties["/ActualText"]), str(properties.get("/Lang", ""))))
    return texts


def test_it_is_a_tagged_pdf_ua_document(document):
    root = PdfReader(io.BytesIO(document.pdf)).trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/StructTreeRoot"]["/K"], "the structure tree is empty"
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_it_has_its_title(document):
    assert PdfReader(io.BytesIO(document.pdf)).metadata.title == document.title


def test_every_font_is_embedded(document):
    reader = PdfReader(io.BytesIO(document.pdf))
    seen: set[int] = set()
    fonts = [font for page in reader.pages for font in _fonts(page.get("/Resources"), seen)]
    assert fonts
    for font in fonts:
        described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = described["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
        assert "/ToUnicode" in font, font["/BaseFont"]


def test_each_hindi_run_carries_its_text_as_written(document):
    """What screen readers and copy-paste read in place of the glyphs: the source, letter for letter."""
    spans = _actual_texts(PdfReader(io.BytesIO(document.pdf)))
    texts = [_normal(text) for text, _ in spans]
    for hindi in document.hindi:
        assert _normal(hindi) in texts, (hindi, texts)
    assert all(DEVANAGARI.search(text) for text in texts)  # only where the glyphs cannot say it
    assert {lang for _, lang in spans} <= {"hi"}
    if document.hindi:
        assert {lang for _, lang in spans} == {"hi"}  # every template marks its Hindi lang="hi"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_the_hindi_extracts_as_written(document):
    """poppler's text extraction, as a reader would get it: every Hindi string whole, no
    stray spaces inside words, no matra out of order."""
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=document.pdf, capture_output=True,
        check=True,
    ).stdout.decode()  # fmt: skip
    for hindi in document.hindi:
        assert _normal(hindi) in _normal(text), (hindi, text)
    for date in document.dates:
        assert date in _normal(text), (date, text)


def _boxes(pdf: bytes):
    """The first page's non-blank characters with their boxes, and its images' boxes."""
    texts, pictures = [], []

    def walk(item):
        if isinstance(item, LTChar):
            if item.get_text().strip():
                texts.append((item.get_text(), item.bbox))
            return
        if isinstance(item, (LTFigure, LTImage)):
            pictures.append(item.bbox)
        if isinstance(item, LTContainer):
            for child in item:
                walk(child)

    walk(next(extract_pages(io.BytesIO(pdf))))
    return texts, pictures


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@functools.cache
def _sanction_letter() -> pdf_documents.Document:
    return pdf_documents.sanction_letter()


def test_the_qr_code_is_never_over_the_text():
    letter = _sanction_letter()
    texts, pictures = _boxes(letter.pdf)
    square = [box for box in set(pictures) if abs((box[2] - box[0]) - (box[3] - box[1])) < 1]
    assert len(square) == 1, pictures  # the QR code, 30 mm square
    qr = square[0]
    assert 80 < qr[2] - qr[0] < 90
    over = [char for char, box in texts if _overlaps(box, qr)]
    assert not over, over
    dated = "".join(char for char, _ in texts)
    assert "Dated18Jul2028" in dated


def test_the_same_letter_renders_to_the_same_bytes():
    """A letter is checked by the SHA-256 of its PDF: a new render of the same content is the same
    file (no creation date or random id in it)."""
    assert _sanction_letter().pdf == pdf_documents.sanction_letter().pdf
