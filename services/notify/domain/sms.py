"""SMS length accounting and segmentation (issue 5 §8).

A text is sent in GSM-7 when every character is in the GSM 03.38 default alphabet or its extension
table (the extension characters cost two septets: ESC + char); otherwise in UCS-2, where a
character outside the Basic Multilingual Plane (most emoji, CJK Extension B) costs two UTF-16 units.
Limits: GSM-7 160 single / 153 per part, UCS-2 70 / 67 (the 6-byte concatenation header eats the
rest). A part never splits an escape pair or a surrogate pair.
"""

from __future__ import annotations

from typing import Literal

SmsEncoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
LIMITS: dict[SmsEncoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


def sms_encoding(text: str) -> SmsEncoding:
    return "GSM-7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "UCS-2"


def _cost(char: str, encoding: SmsEncoding) -> int:
    if encoding == "GSM-7":
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def sms_units(text: str, encoding: SmsEncoding | None = None) -> int:
    """Length in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    encoding = encoding or sms_encoding(text)
    return sum(_cost(c, encoding) for c in text)


def sms_parts(text: str) -> list[str]:
    """The parts the text is sent in; ``"".join(parts) == text``. An empty text has no parts."""
    if not text:
        return []
    encoding = sms_encoding(text)
    single, per_part = LIMITS[encoding]
    if sms_units(text, encoding) <= single:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        cost = _cost(char, encoding)
        if used + cost > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost
    parts.append("".join(current))
    return parts


def sms_summary(text: str) -> str:
    """For the operator before sending: ``UCS-2，共3条（每条67字）``."""
    encoding = sms_encoding(text)
    count = len(sms_parts(text))
    single, per_part = LIMITS[encoding]
    per = single if count <= 1 else per_part
    unit = "字" if encoding == "UCS-2" else "字符"
    return f"{encoding}，共{count}条（每条{per}{unit}）"
