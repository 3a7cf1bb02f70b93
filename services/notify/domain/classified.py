"""R-10, NORMS §11 (密来密复): classified content never travels over a plain channel.

Every channel notify has (SMS, fax, e-mail, voice, the drill spool) is plain. So for a classified
message the outbound text is built from the channel and a reference number only; the subject and
body are never read on that path, whatever the caller asked. There is no parameter to override it.

A plain message carrying a classification marking in its text (``绝密★``, ``机密★``, ``秘密★``,
``【密件】``) is treated as classified too: a mislabelled message fails closed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from shared.contracts.events import NotifyChannel
from shared.contracts.report import Classification

CLASSIFIED_NOTICE = "请通过机要渠道查收"
CLASSIFIED_SUBJECT = "机要件领取通知"
_MARKINGS = ("绝密★", "机密★", "秘密★", "【密件】", "[密件]")
_REGISTER_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,31}$")


class OutboundMessage(Protocol):
    """What render_for_channel reads; ``SendNotification`` satisfies it."""

    @property
    def notification_id(self) -> str: ...
    @property
    def classification(self) -> Classification: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...


@dataclass(frozen=True)
class OutboundText:
    channel: NotifyChannel
    subject: str
    body: str
    classified: bool
    reference: str = ""  # the register number quoted in a classified notice


class InvalidRegisterNumber(ValueError):
    pass


def is_classified(message: OutboundMessage) -> bool:
    # ``==`` not ``is``: a caller passing the raw string "classified" must not slip through.
    if message.classification == Classification.classified:
        return True
    # NFKC and no whitespace, so "机密 ★" or a full-width bracket still counts as a marking.
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", f"{message.subject}{message.body}"))
    return any(unicodedata.normalize("NFKC", marking) in text for marking in _MARKINGS)


def reference_for(message: OutboundMessage, register_number: str | None = None) -> str:
    """The number the recipient quotes at the secure channel.

    A register number (机要登记号) from the caller is used only if it is a short code of upper-case
    letters, digits and hyphens — free text there could carry content. Without one, a code is
    derived from the notification id by hashing, because the id is chosen by the caller too.
    """
    if register_number is not None:
        if not _REGISTER_NUMBER.match(register_number):
            raise InvalidRegisterNumber("机要登记号只能由大写字母、数字和连字符组成，且不超过32位")
        return register_number
    digest = hashlib.sha256(message.notification_id.encode("utf-8")).hexdigest()[:8].upper()
    return f"JY-{digest}"


def classified_notice(channel: NotifyChannel, reference: str) -> OutboundText:
    """The only text a classified message produces. Depends on nothing but the channel and reference."""
    if channel is NotifyChannel.phone:
        # Spoken: the reference digit by digit so text-to-speech does not read it as one number.
        spoken = "，".join(reference.replace("-", ""))
        body = f"您有一份机要件，{CLASSIFIED_NOTICE}。编号：{spoken}。"
    else:
        body = f"您有一份机要件，{CLASSIFIED_NOTICE}。编号：{reference}。"
    return OutboundText(channel, CLASSIFIED_SUBJECT, body, True, reference)


def render_for_channel(
    message: OutboundMessage, channel: NotifyChannel, *, register_number: str | None = None
) -> OutboundText:
    """What actually goes out on ``channel``. Classified: the fixed notice only. Plain: subject and body."""
    if is_classified(message):
        return classified_notice(channel, reference_for(message, register_number))
    if channel is NotifyChannel.sms:
        body = f"【{message.subject}】{message.body}" if message.subject else message.body
        return OutboundText(channel, message.subject, body, False)
    return OutboundText(channel, message.subject, message.body, False)
