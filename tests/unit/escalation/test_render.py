"""Rendered bulletin: the PDF embeds its CJK fonts (pdffonts) and its text carries the facts (pdftotext)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from services.escalation.domain.bulletin import compose, load_template
from services.escalation.render import FontCandidate, FontNotFound, find_font, render_docx, render_pdf
from tests.unit.escalation.test_bulletin import FACTS


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (apt-get install poppler-utils)")
    return path


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        data = render_pdf(compose(FACTS, load_template()))
    except FontNotFound as exc:
        pytest.skip(str(exc))
    path = tmp_path_factory.mktemp("pdf") / "bulletin.pdf"
    path.write_bytes(data)
    return path


def test_pdf_fonts_are_embedded(pdf_file: Path) -> None:
    out = subprocess.run([_need("pdffonts"), str(pdf_file)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for row in rows:  # columns: name type encoding emb sub uni …; emb must be "yes" for every font
        assert row.split()[-5] == "yes", row


def test_pdf_text_contains_the_facts(pdf_file: Path) -> None:
    text = subprocess.run([_need("pdftotext"), "-layout", str(pdf_file), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())
    for fact in ("突发公共事件直报信息", "第12期", "签发人：王某某", "某县某镇发生一起道路交通事故造成3人死亡",
                 "某县人民政府", "直接经济损失约250万元", "抄送：市委值班室"):
        assert fact in flat, fact


def test_font_chain_prefers_earlier_candidates(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound, match="未找到可嵌入的中文字体"):
        find_font([FontCandidate("nothing-here.ttf")], [tmp_path])
    real = shutil.which("fc-list") and Path("/usr/share/fonts/truetype/arphic/uming.ttc")
    if not real or not real.exists():
        pytest.skip("fonts-arphic-uming not installed")
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    path, index = find_font([FontCandidate("broken.ttf"), FontCandidate("uming.ttc", 0)],
                            [tmp_path, Path("/usr/share/fonts")])
    assert path.name == "uming.ttc" and index == 0  # an unreadable font falls through to the next


def test_docx_carries_layout_and_facts() -> None:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    doc = Document(io.BytesIO(render_docx(compose(FACTS, load_template()))))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "突发公共事件直报信息" and "某县某镇发生一起道路交通事故造成3人死亡、12人受伤" in texts
    section = doc.sections[0]  # EMU are rounded to twips when saved
    assert section.top_margin is not None and abs(section.top_margin - Mm(37)) < Mm(0.1)
    assert section.left_margin is not None and abs(section.left_margin - Mm(28)) < Mm(0.1)
    body_run = doc.paragraphs[4].runs[0]
    assert body_run.font.size is not None and body_run.font.size.pt == 16
    assert body_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
