"""The one refusal intake gives: unparseable input, with a machine code, the field and a Chinese message."""

from __future__ import annotations


class ReportRejected(Exception):
    """Raised for input that cannot become a report. ``field`` is a dotted path ("casualties.deaths")
    or "" for the whole body; ``code`` is stable for machines (HTTP body, parking reason)."""

    def __init__(self, code: str, field: str, message_zh: str) -> None:
        super().__init__(f"{code} [{field}] {message_zh}")
        self.code = code
        self.field = field
        self.message_zh = message_zh

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message_zh}
