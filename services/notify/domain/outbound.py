"""What one delivery step sends (pure): the channel's text from ``classified.render_for_channel`` —
never the content of a classified message — plus how to acknowledge (unless no acknowledgement is asked
for: ``ack_code=None``, e.g. a written report, where delivery is the goal), from the Chinese templates, with
the SMS length accounting (GSM-7 160/153, UCS-2 70/67 per part) that goes with it."""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from services.notify.domain.classified import OutboundMessage, render_for_channel
from services.notify.domain.sms import sms_encoding, sms_parts
from services.notify.domain.templates import FaxCover, fax_cover_lines, render
from shared.contracts.events import NotifyChannel


@dataclass(frozen=True)
class StepText:
    subject: str
    text: str
    classified: bool
    segments: int  # SMS parts (1 for other channels)
    encoding: str  # GSM-7 / UCS-2 for SMS, "" otherwise


def step_text(message: OutboundMessage, channel: NotifyChannel, templates: dict[str, Template], *,
              ack_code: str | None, ack_link: str) -> StepText:
    rendered = render_for_channel(message, channel)
    if ack_code is None:
        ack = ""
    elif channel is NotifyChannel.sms:
        ack = render(templates, "ack_sms", ack_code=ack_code)
    elif channel is NotifyChannel.phone:
        ack = render(templates, "ack_voice")
    else:
        ack = render(templates, "ack_link", ack_code=ack_code, ack_link=ack_link)
    if channel in (NotifyChannel.sms, NotifyChannel.phone):
        text = f"{rendered.body}{ack}"
    else:
        head = f"{rendered.subject}\n{rendered.body}" if rendered.subject else rendered.body
        text = f"{head}\n\n{ack}" if ack else head
    if channel is NotifyChannel.sms:
        return StepText(rendered.subject, text, rendered.classified, len(sms_parts(text)), sms_encoding(text))
    return StepText(rendered.subject, text, rendered.classified, 1, "")


def fax_lines(templates: dict[str, Template], cover: FaxCover, text: str, *, width: int = 30) -> list[str]:
    """The cover page (masthead first) followed by the message wrapped to the page width."""
    body: list[str] = []
    for paragraph in text.split("\n"):
        body.extend(paragraph[i:i + width] for i in range(0, max(len(paragraph), 1), width))
    return [*fax_cover_lines(templates, cover), "", *body]
