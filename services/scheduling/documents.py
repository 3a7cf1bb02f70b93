"""Chinese documents for download: DOCX (python-docx) and PDF (reportlab with a CJK font)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

UMING = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
_font: str | None = None


def cjk_font() -> str:
    """AR PL UMing (fonts-arphic-uming) when installed; else reportlab's built-in STSong-Light CID font."""
    global _font
    if _font is None:
        try:
            pdfmetrics.registerFont(TTFont("UMing", str(UMING), subfontIndex=0))
            _font = "UMing"
        except Exception:  # noqa: BLE001 - any failure: fall back to the CID font that needs no file
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
            _font = "STSong-Light"
    return _font


def docx_table(title: str, subtitle: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(title, level=1)
    if subtitle:
        doc.add_paragraph(subtitle)
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf_table(title: str, subtitle: str, header: Sequence[str], rows: Sequence[Sequence[str]],
              *, wide: bool = False) -> bytes:
    return pdf_tables([(title, subtitle, rows)], header, wide=wide)


def pdf_tables(sections: Sequence[tuple[str, str, Sequence[Sequence[str]]]], header: Sequence[str],
               *, wide: bool = False) -> bytes:
    """One PDF, one titled table per section, each starting on a new page."""
    font = cjk_font()
    out = io.BytesIO()
    page = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(out, pagesize=page, title=sections[0][0] if sections else "")
    h = ParagraphStyle("h", fontName=font, fontSize=16, leading=22)
    p = ParagraphStyle("p", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    story: list[Any] = []
    for n, (title, subtitle, rows) in enumerate(sections):
        if n:
            story.append(PageBreak())
        data = [[Paragraph(str(c), p) for c in header]] + [[Paragraph(str(c), p) for c in row] for row in rows]
        table = Table(data, repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#444444"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [Paragraph(title, h), Paragraph(subtitle, p), Spacer(1, 8), table]
    doc.build(story)
    return out.getvalue()


ITINERARY_TABLES = {"weekly_leaders": "市领导一周活动安排", "weekly_secretaries_general": "秘书长、副秘书长一周活动安排",
                    "daily_leaders": "市领导次日活动安排", "daily_secretaries_general": "秘书长、副秘书长次日活动安排"}
ITINERARY_HEADER = ["领导", "职务", "日期", "时间", "活动", "地点"]


def _itinerary_rows(data: dict[str, list[dict[str, Any]]]) -> dict[str, list[list[str]]]:
    return {name: [[str(r["leader"]), str(r["title"]), str(r["date"]), str(r["time"]), str(r["activity"]),
                    str(r["location"])] for r in data.get(name, [])] for name in ITINERARY_TABLES}


def itinerary_tables_xlsx(data: dict[str, list[dict[str, Any]]]) -> bytes:
    """The four tables, one sheet each."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    rows = _itinerary_rows(data)
    for name, title in ITINERARY_TABLES.items():
        ws = wb.create_sheet(title[:31])
        ws.append(ITINERARY_HEADER)
        for row in rows[name]:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def itinerary_tables_pdf(data: dict[str, list[dict[str, Any]]], subtitle: str) -> bytes:
    rows = _itinerary_rows(data)
    sections = [(title, subtitle, rows[name] or [["—"] * 6]) for name, title in ITINERARY_TABLES.items()]
    return pdf_tables(sections, ITINERARY_HEADER, wide=True)
