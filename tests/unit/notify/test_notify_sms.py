from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.sms import LIMITS, sms_encoding, sms_parts, sms_summary, sms_units

mixed = st.text(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from(["€", "^", "{", "😀", "𠀀", "\n"]),
    ),
    max_size=800,
)
ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=800)


def _check(text: str) -> None:
    parts = sms_parts(text)
    assert "".join(parts) == text
    encoding = sms_encoding(text)
    single, per_part = LIMITS[encoding]
    limit = single if len(parts) == 1 else per_part
    assert all(0 < sms_units(p, encoding) <= limit for p in parts)
    # Greedy: every part but the last is full up to one unit (a 2-unit char may not fit).
    assert all(sms_units(p, encoding) >= limit - 1 for p in parts[:-1])


@given(mixed)
def test_parts_rejoin_and_fit_mixed(text):
    _check(text)


@given(ascii_text)
def test_parts_rejoin_and_fit_ascii(text):
    _check(text)


def test_encoding_choice():
    assert sms_encoding("Hello world") == "GSM-7"
    assert sms_encoding("price 5€ [x]") == "GSM-7"
    assert sms_encoding("收到") == "UCS-2"
    assert sms_encoding("a`b") == "UCS-2"  # backtick is not in GSM 03.38


def test_chinese_limits_70_and_67():
    assert sms_parts("字" * 70) == ["字" * 70]
    parts = sms_parts("字" * 71)
    assert [len(p) for p in parts] == [67, 4]
    assert len(sms_parts("字" * 134)) == 2 and len(sms_parts("字" * 135)) == 3


def test_gsm_limits_160_and_153_with_escapes():
    assert len(sms_parts("a" * 160)) == 1
    assert [len(p) for p in sms_parts("a" * 161)] == [153, 8]
    assert sms_units("{}") == 4
    assert len(sms_parts("{" * 80)) == 1 and len(sms_parts("{" * 81)) == 2


def test_surrogate_pairs_count_double_and_stay_whole():
    text = "字" * 66 + "😀" + "字" * 10
    parts = sms_parts(text)
    assert parts[0] == "字" * 66 and parts[1].startswith("😀")


def test_empty_and_summary():
    assert sms_parts("") == []
    assert sms_summary("字" * 71) == "UCS-2，共2条（每条67字）"
    assert sms_summary("ok") == "GSM-7，共1条（每条160字符）"
