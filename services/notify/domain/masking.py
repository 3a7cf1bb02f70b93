"""Contact details are masked everywhere but the one audited endpoint (R-10): 138****5678."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_contact(value: str | None) -> str:
    if not value:
        return ""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = _DIGITS.findall(value)
    if len(digits) < 7:
        return "*" * len(value)
    keep_head, keep_tail = 3, 4
    seen = 0
    out = []
    for ch in value:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= keep_head or seen > len(digits) - keep_tail else "*")
        else:
            out.append(ch)
    return "".join(out)


def masked_contacts(contacts: dict[str, str]) -> dict[str, str]:
    return {kind: mask_contact(value) for kind, value in contacts.items()}
