"""Fax by e-mail (RFC 3192) through a real SMTP server (aiosmtpd) acting as the e-mail-to-fax offramp."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from aiosmtpd.controller import Controller

from services.notify.gateways.base import OutboundMessage
from services.notify.gateways.emailfax import EmailFaxConfig, EmailFaxGateway, rfc3192_address

from .harness import free_port, make_pdf

pytestmark = [pytest.mark.slow, pytest.mark.integration]

_FAX_RCPT = re.compile(r"FAX=(\+?[0-9]+)@fax\.localhost")


class Offramp:
    """Accepts only RFC 3192 ``FAX=<number>@fax.localhost`` recipients, like a faxmail pipe transport."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if not _FAX_RCPT.fullmatch(address):
            return "550 5.1.1 not a fax address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return f"250 OK request id is {len(self.received)}"


@pytest.fixture
def offramp():  # type: ignore[no-untyped-def]
    handler = Offramp()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def _gateway(port: int) -> EmailFaxGateway:
    return EmailFaxGateway(EmailFaxConfig("127.0.0.1", port, gateway_domain="fax.localhost",
                                          mail_from="notify@zhiban.localhost"))


async def test_fax_mail_is_rfc3192_addressed_with_the_pdf_attached(offramp) -> None:  # type: ignore[no-untyped-def]
    handler, port = offramp
    pdf = make_pdf("ZHIBAN FAX TEST 42")
    result = await _gateway(port).send(OutboundMessage("ntf-fax-1", "+86 10 6512 3456", "请查收附件通报。",
                                                       subject="关于暴雨红色预警的通报", document_pdf=pdf))
    assert result.accepted, result.detail
    assert "request id is 1" in result.detail
    [(mail_from, rcpts, raw)] = handler.received
    assert mail_from == "notify@zhiban.localhost"
    assert rcpts == ["FAX=+861065123456@fax.localhost"]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "关于暴雨红色预警的通报"
    assert parsed["X-Notification-Id"] == "ntf-fax-1"
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
    # the PDF is the whole fax: no text part, which faxmail would fax as a page of ISO-8859-1 mojibake
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["application/pdf"]


async def test_refused_recipient_is_permanent_and_missing_pdf_never_sent(offramp) -> None:  # type: ignore[no-untyped-def]
    handler, port = offramp
    wrong_domain = EmailFaxGateway(EmailFaxConfig("127.0.0.1", port, gateway_domain="mail.localhost",
                                                  mail_from="notify@zhiban.localhost"))
    refused = await wrong_domain.send(OutboundMessage("ntf-fax-2", "+861065123456", "x", document_pdf=b"%PDF-1.4"))
    assert not refused.accepted and not refused.transient_error
    assert "550" in refused.detail
    accepted = await _gateway(port).send(OutboundMessage("ntf-fax-6", "+861065123456", "x", document_pdf=b"%PDF-1.4"))
    assert accepted.accepted
    no_pdf = await _gateway(port).send(OutboundMessage("ntf-fax-3", "+861065123456", "x"))
    assert not no_pdf.accepted and not no_pdf.transient_error
    bad_number = await _gateway(port).send(OutboundMessage("ntf-fax-4", "abc", "x", document_pdf=b"%PDF-1.4"))
    assert not bad_number.accepted and not bad_number.transient_error
    assert len(handler.received) == 1


async def test_offramp_down_is_transient() -> None:
    result = await _gateway(free_port()).send(OutboundMessage("ntf-fax-5", "+861065123456", "x", document_pdf=b"%PDF"))
    assert not result.accepted and result.transient_error


def test_rfc3192_address_strips_separators() -> None:
    assert rfc3192_address("+1 (202) 765-3000", "fax.example.com") == "FAX=+12027653000@fax.example.com"
