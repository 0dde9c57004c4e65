"""PDF documents (letters, receipts) rendered from Django templates by WeasyPrint."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render `template_name` (usually extending pdf/letter_base.html) to PDF bytes.

    Slow (hundreds of milliseconds): call it from a task or outside any transaction that holds
    locks. Fonts come from the system (Debian's fonts-noto-core: Noto Sans, Noto Sans Devanagari).
    """
    from weasyprint import HTML  # imported late: it loads Pango and fonts

    html = render_to_string(template_name, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
