import pytest

from services.notify.domain.fax_pdf import (
    FALLBACK_FONT,
    FaxDocumentError,
    FaxLimits,
    check_fax_document,
    choose_font,
    render_cover_pdf,
)
from services.notify.domain.templates import FaxCover, fax_cover_lines, load_templates


def cover_lines() -> list[str]:
    cover = FaxCover(
        masthead="某某市人民政府办公室", number="市府办传〔2026〕12号", urgency="特急", sender="市政府值班室",
        signed_by="李四", title="关于做好防汛工作的紧急通知", recipients=("甲县",), pages=2, date="2026年11月28日",
    )
    return fax_cover_lines(load_templates(), cover)


def test_cover_renders_to_a_one_page_pdf_with_the_cjk_fallback_font():
    pdf = render_cover_pdf(cover_lines())
    assert pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    assert FALLBACK_FONT.encode() in pdf
    check_fax_document(pdf, pages=1)


def test_rendering_is_deterministic():
    assert render_cover_pdf(cover_lines()) == render_cover_pdf(cover_lines())


def test_broken_font_falls_back():
    assert choose_font([("Broken", b"not a font")]) == FALLBACK_FONT


def test_document_checks_are_precise():
    with pytest.raises(FaxDocumentError, match="不是PDF"):
        check_fax_document(b"GIF89a", pages=1)
    with pytest.raises(FaxDocumentError, match="过大：2.0MB，上限1MB"):
        check_fax_document(b"%PDF-" + b"x" * (2 * 1024 * 1024), pages=1, limits=FaxLimits(max_bytes=1024 * 1024))
    with pytest.raises(FaxDocumentError, match="页数过多：51页，上限50页"):
        check_fax_document(b"%PDF-1.4", pages=51)
    with pytest.raises(FaxDocumentError, match="没有页面"):
        check_fax_document(b"%PDF-1.4", pages=0)
