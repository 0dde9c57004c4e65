"""PDF documents (letters, receipts, demo evidence) rendered from Django templates by WeasyPrint.

Every document is a tagged PDF/UA-1 file (structure tree, /MarkInfo, /Lang, the <title> as its
title, shown by viewers) with its fonts embedded (Debian's fonts-noto-core). Its Hindi text reads
back as written: see `_devanagari_actual_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

#: WeasyPrint's variant: tags, /Lang, DisplayDocTitle and XMP metadata saying PDF/UA-1.
PDF_VARIANT = "pdf/ua-1"

# Devanagari, Devanagari Extended and Vedic Extensions.
_DEVANAGARI = re.compile("[\u0900-\u097f\ua8e0-\ua8ff\u1cd0-\u1cff]")
_patched = False


def _devanagari_actual_text() -> None:
    """Give each tagged text span holding Devanagari an /ActualText of the span's own text.

    WeasyPrint maps each glyph to the text of the first cluster it was drawn for (/ToUnicode).
    In Devanagari that cannot read back as written: a pre-base matra (ि) is drawn before its
    consonant, a conjunct (ब्स, त्र) is one glyph standing for several letters, and the same glyph
    stands for different text in different clusters; so extraction gives "स सडी" for "सब्सिडी".
    A reader (screen readers, copy-paste, pdftotext) takes /ActualText in place of the glyphs.
    WeasyPrint marks every text box as `/Span <</MCID n>> BDC`; this adds the box's text to that
    property list, and its language (/Lang, from the HTML's lang="hi"), which WeasyPrint gives only
    the whole document. The glyphs and layout are unchanged.
    """
    global _patched
    if _patched:
        return
    import pydyf
    from weasyprint.formatting_structure import boxes
    from weasyprint.pdf import stream

    marked = stream.Stream.marked

    @contextmanager
    def marked_with_actual_text(self: Any, box: Any, tag: str) -> Iterator[None]:
        with marked(self, box, tag):
            if (
                tag == "Span"
                and isinstance(box, boxes.TextBox)
                and _DEVANAGARI.search(box.text)
                and self.stream[-1:] == [b"BDC"]
                and isinstance(self.stream[-2], pydyf.Dictionary)
            ):
                self.stream[-2]["ActualText"] = pydyf.String(box.text)
                if box.style["lang"]:  # lang="hi": a screen reader speaks it with a Hindi voice
                    self.stream[-2]["Lang"] = pydyf.String(box.style["lang"])
            yield

    stream.Stream.marked = marked_with_actual_text
    _patched = True


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render `template_name` (usually extending pdf/letter_base.html) to PDF bytes.

    Slow (hundreds of milliseconds): call it from a task or outside any transaction that holds
    locks. Fonts come from the system (Debian's fonts-noto-core: Noto Sans, Noto Sans Devanagari).
    The same template and context give the same bytes (no dates or random ids in the file).
    """
    from weasyprint import HTML  # imported late: it loads Pango and fonts

    _devanagari_actual_text()
    # In the default language whatever the page's: a letter's text (and its hash) must not depend
    # on the language the official who asked for it reads the portal in.
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template_name, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(pdf_variant=PDF_VARIANT)


def evidence_pdf(title: str, lines: list[str], *, owner: str = "") -> bytes:
    """A one-page demonstration document (title, a few lines): what the demo seed uploads."""
    return render_pdf("pdf/evidence.html", {"title": title, "owner": owner, "lines": lines})


def plain_pdf(text: str) -> bytes:
    """A one-page PDF holding `text` (ASCII), as a scanner would give: for the tests.

    Made by hand, fast, with an unembedded Helvetica and no title: a stand-in for an upload
    only. Documents the portal or its demo seed produce are rendered (`render_pdf`).
    """
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
