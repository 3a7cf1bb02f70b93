"""The fax cover page as PDF bytes (HylaFAX and e-mail-to-fax take PDF), and the size checks a fax
document must pass before it is queued (issue 5 §10: an oversize document is a precise error).

Rendering happens in memory with reportlab. Fonts: a TrueType CJK font the caller has already
loaded (bytes, e.g. Noto Sans CJK or SimSun read at start-up) is tried first; the fallback is
reportlab's built-in CID font STSong-Light, which needs no font file and which every PDF reader
renders with its own Song typeface. So the cover page renders on a bare CI machine too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen import canvas

FALLBACK_FONT = "STSong-Light"


class FaxDocumentError(ValueError):
    pass


@dataclass(frozen=True)
class FaxLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 50


def check_fax_document(data: bytes, *, pages: int, limits: FaxLimits = FaxLimits()) -> None:
    """Refuse what a fax line cannot carry, with the numbers, before anything is queued."""
    if not data.startswith(b"%PDF-"):
        raise FaxDocumentError("传真文件不是PDF格式")
    if len(data) > limits.max_bytes:
        raise FaxDocumentError(
            f"传真文件过大：{len(data) / 1024 / 1024:.1f}MB，上限{limits.max_bytes / 1024 / 1024:.0f}MB"
        )
    if pages > limits.max_pages:
        raise FaxDocumentError(f"传真页数过多：{pages}页，上限{limits.max_pages}页，请分批发送")
    if pages < 1:
        raise FaxDocumentError("传真文件没有页面")


def choose_font(candidates: Sequence[tuple[str, bytes]] = ()) -> str:
    """Register the first usable (name, TrueType bytes) pair and return its name; else the CID font."""
    for name, data in candidates:
        try:
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
            return name
        except (TTFError, OSError, ValueError):
            continue  # a broken or collection-only font file: try the next one
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def render_cover_pdf(lines: Sequence[str], *, fonts: Sequence[tuple[str, bytes]] = ()) -> bytes:
    """``lines`` from ``templates.fax_cover_lines``: the first is the masthead (large, red, centred,
    with the red rule under it as on official documents), the second the document kind, the rest body."""
    font = choose_font(fonts)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)  # invariant: same input, same bytes
    width, height = A4
    y = height - 35 * mm
    if lines:
        pdf.setFillColorRGB(0.8, 0, 0)
        pdf.setFont(font, 26)
        pdf.drawCentredString(width / 2, y, lines[0])
        y -= 8 * mm
        pdf.setStrokeColorRGB(0.8, 0, 0)
        pdf.setLineWidth(1.5)
        pdf.line(25 * mm, y, width - 25 * mm, y)
        y -= 14 * mm
        pdf.setFillColorRGB(0, 0, 0)
    if len(lines) > 1:
        pdf.setFont(font, 20)
        pdf.drawCentredString(width / 2, y, lines[1])
        y -= 16 * mm
    pdf.setFont(font, 14)
    for line in lines[2:]:
        pdf.drawString(28 * mm, y, line)
        y -= 10 * mm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
