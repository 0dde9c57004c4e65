"""An upload is what its first bytes claim: a PDF opens with a PDF reader and has a page."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from repm_portal.uploads import JPEG, MB, PDF, PNG, checked_upload
from tests.factories import pdf_bytes


def _check(data: bytes, allowed=(PDF,), name: str = "certificate.pdf") -> dict:
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return checked_upload(upload, allowed=allowed, max_bytes=5 * MB, what="certificate")


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, kind)
    return out.getvalue()


def test_a_real_pdf_passes():
    meta = _check(pdf_bytes("CA certificate"))
    assert meta["content_type"] == PDF


def test_html_behind_a_pdf_header_is_refused():
    html = b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n"
    with pytest.raises(ValidationError, match="does not open as a PDF"):
        _check(html)


def test_a_pdf_shell_with_no_page_is_refused():
    shell = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    with pytest.raises(ValidationError, match="PDF"):
        _check(shell)


def test_a_truncated_pdf_is_refused():
    with pytest.raises(ValidationError, match="does not open as a PDF"):
        _check(pdf_bytes("CA certificate")[:60])


def test_real_images_pass_and_fake_ones_are_refused():
    allowed = (PDF, PNG, JPEG)
    assert _check(_image("PNG"), allowed, "a.png")["content_type"] == PNG
    assert _check(_image("JPEG"), allowed, "a.jpg")["content_type"] == JPEG
    with pytest.raises(ValidationError, match="does not open as a PNG"):
        _check(b"\x89PNG\r\n\x1a\n<html></html>", allowed, "a.png")
    with pytest.raises(ValidationError, match="does not open as a JPEG"):
        _check(b"\xff\xd8\xff<html></html>", allowed, "a.jpg")
