"""Render a composed bulletin to PDF (reportlab, fonts embedded) and DOCX (python-docx). I/O lives here.

Layout after GB/T 9704-2012: A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; body 仿宋 三号
(16 pt), title 小标宋 二号 (22 pt), masthead red. Fonts: a fallback chain so that real 仿宋 / 小标宋 fonts
installed on a production host win; on Debian the free fallback is AR PL UMing (fonts-arphic-uming).
Noto CJK (fonts-noto-cjk) cannot be used for the PDF: its CFF outlines are not supported by reportlab.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.escalation.domain.bulletin import Bulletin

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


@dataclass(frozen=True)
class FontCandidate:
    pattern: str  # file name glob, case-sensitive as installed
    subfont_index: int = 0


BODY_FONTS = (  # 仿宋 first (GB/T 9704 body), then free substitutes
    FontCandidate("simfang.ttf"), FontCandidate("FangSong*.ttf"), FontCandidate("FZFSK*.TTF"),
    FontCandidate("FZFSK*.ttf"), FontCandidate("STFANGSO.TTF"), FontCandidate("uming.ttc", 0),
    FontCandidate("ukai.ttc", 0),
)
TITLE_FONTS = (  # 方正小标宋 first, then the body chain
    FontCandidate("FZXBSJW*.TTF"), FontCandidate("FZXBSJW*.ttf"), FontCandidate("simhei.ttf"), *BODY_FONTS,
)


class FontNotFound(RuntimeError):
    pass


def find_font(chain: Sequence[FontCandidate], dirs: Sequence[Path] = FONT_DIRS) -> tuple[Path, int]:
    """The first candidate of the chain installed on this host that reportlab can embed."""
    from reportlab.pdfbase.ttfonts import TTFont

    for cand in chain:
        for base in dirs:
            for path in sorted(base.rglob(cand.pattern)) if base.is_dir() else []:
                try:
                    TTFont("probe", str(path), subfontIndex=cand.subfont_index)
                except Exception:  # e.g. CFF outlines: try the next one
                    continue
                return path, cand.subfont_index
    raise FontNotFound("未找到可嵌入的中文字体：请安装仿宋字体，或 apt-get install fonts-arphic-uming")


def render_pdf(bulletin: Bulletin, *, dirs: Sequence[Path] = FONT_DIRS) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer

    body_path, body_index = find_font(BODY_FONTS, dirs)
    title_path, title_index = find_font(TITLE_FONTS, dirs)
    pdfmetrics.registerFont(TTFont("ZhibanBody", str(body_path), subfontIndex=body_index))
    pdfmetrics.registerFont(TTFont("ZhibanTitle", str(title_path), subfontIndex=title_index))
    body = ParagraphStyle("body", fontName="ZhibanBody", bulletFontName="ZhibanBody", fontSize=16, leading=28, firstLineIndent=32,
                          alignment=TA_JUSTIFY, wordWrap="CJK")
    plain = ParagraphStyle("plain", parent=body, firstLineIndent=0)
    centred = ParagraphStyle("centred", parent=plain, alignment=TA_CENTER)
    mast = ParagraphStyle("mast", fontName="ZhibanTitle", bulletFontName="ZhibanBody", fontSize=30, leading=40, alignment=TA_CENTER,
                          textColor=colors.red, wordWrap="CJK")
    title = ParagraphStyle("title", fontName="ZhibanTitle", bulletFontName="ZhibanBody", fontSize=22, leading=34, alignment=TA_CENTER,
                           wordWrap="CJK")
    m = bulletin.masthead
    story = [
        Paragraph(_esc(m.name), mast), Paragraph(_esc(m.issue_line), centred),
        Paragraph(_esc(f"{m.office}　　{m.signer_line}　　{m.date_line}"), plain),
        HRFlowable(width="100%", thickness=1.5, color=colors.red), Spacer(1, 6 * mm),
        Paragraph(_esc(bulletin.title), title), Spacer(1, 4 * mm),
        *[Paragraph(_esc(p), body) for p in bulletin.paragraphs], Spacer(1, 8 * mm),
        HRFlowable(width="100%", thickness=0.75, color=colors.black),
        *[Paragraph(_esc(f"{label}：{names}"), plain) for label, names in bulletin.distribution],
        *[Paragraph(_esc(x), plain) for x in (bulletin.contact, bulletin.copies) if x],
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, topMargin=37 * mm, bottomMargin=35 * mm, leftMargin=28 * mm,
                            rightMargin=26 * mm, title=bulletin.title, author=m.office,
                            # else the canvas starts in an unembedded Helvetica, listed in the PDF's fonts
                            initialFontName="ZhibanBody", invariant=1)
    doc.build(story)
    return out.getvalue()


def render_docx(bulletin: Bulletin, *, body_font: str = "仿宋_GB2312", title_font: str = "方正小标宋简体") -> bytes:
    """DOCX names the official fonts; Word substitutes where they are missing (DOCX does not embed here)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def line(text: str, font: str, size: int, *, centre: bool = False, red: bool = False, indent: bool = False) -> None:
        para = doc.add_paragraph()
        if centre:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if indent:
            para.paragraph_format.first_line_indent = Pt(size * 2)
        run = para.add_run(text)
        run.font.size = Pt(size)
        run.font.name = font
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        if red:
            run.font.color.rgb = RGBColor(0xFF, 0, 0)

    m = bulletin.masthead
    line(m.name, title_font, 30, centre=True, red=True)
    line(m.issue_line, body_font, 16, centre=True)
    line(f"{m.office}　　{m.signer_line}　　{m.date_line}", body_font, 16)
    line(bulletin.title, title_font, 22, centre=True)
    for paragraph in bulletin.paragraphs:
        line(paragraph, body_font, 16, indent=True)
    for label, names in bulletin.distribution:
        line(f"{label}：{names}", body_font, 14)
    for extra in (bulletin.contact, bulletin.copies):
        if extra:
            line(extra, body_font, 14)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
