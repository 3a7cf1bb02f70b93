"""Fax by e-mail: RFC 3192 minimal addressing (``FAX=+number@gateway``) over SMTP, PDF attached."""

from __future__ import annotations

import asyncio
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from services.notify.gateways.base import GatewayError, OutboundMessage, SendResult

_GLOBAL_PHONE = re.compile(r"\+?[0-9]{3,20}")


def rfc3192_address(number: str, gateway_domain: str) -> str:
    """``+86 10-1234 5678`` → ``FAX=+861012345678@gateway_domain`` (RFC 3192 §2: digits, optional +)."""
    digits = re.sub(r"[\s().-]", "", number)
    if not _GLOBAL_PHONE.fullmatch(digits):
        raise GatewayError(f"传真号码格式无效：{number!r}", transient=False)
    return f"FAX={digits}@{gateway_domain}"


@dataclass(frozen=True)
class EmailFaxConfig:
    smtp_host: str
    smtp_port: int
    gateway_domain: str  # the e-mail-to-fax offramp's domain, e.g. fax.example.gov.cn
    mail_from: str
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout_seconds: float = 30.0
    max_document_bytes: int = 10 * 1024 * 1024
    # The PDF already carries the whole message (notify's fax cover). A text part would be faxed as a page
    # of its own, and HylaFAX's faxmail sets any non-ASCII text as ISO-8859-1: Chinese becomes mojibake.
    # Only for an offramp known to render UTF-8 text should this be True.
    text_part: bool = False


class EmailFaxGateway:
    channel = "fax"

    def __init__(self, config: EmailFaxConfig, *, name: str = "emailfax") -> None:
        self.config = config
        self.name = name

    def build_message(self, msg: OutboundMessage) -> EmailMessage:
        if not msg.document_pdf:
            raise GatewayError("传真必须附带 PDF 文件", transient=False)
        if len(msg.document_pdf) > self.config.max_document_bytes:
            raise GatewayError(f"传真文件过大：{len(msg.document_pdf)} 字节，上限 {self.config.max_document_bytes}",
                               transient=False)
        mail = EmailMessage()
        mail["From"] = self.config.mail_from
        mail["To"] = rfc3192_address(msg.to, self.config.gateway_domain)
        mail["Subject"] = msg.subject or "传真"
        # Our id in Message-ID and a header, so the offramp's job (and any DSN) can be joined back.
        domain = self.config.mail_from.rpartition("@")[2] or "localhost"
        mail["Message-ID"] = make_msgid(idstring=msg.notification_id.replace("@", "_"), domain=domain)
        mail["X-Notification-Id"] = msg.notification_id
        if self.config.text_part:
            mail.set_content(msg.text or msg.subject or "", cte="base64")  # 7-bit safe for any relay
        else:
            mail["MIME-Version"] = "1.0"  # set_content would add it; without it faxmail reads plain text
            mail.make_mixed()  # multipart/mixed whose only part is the document
        mail.add_attachment(msg.document_pdf, maintype="application", subtype="pdf",
                            filename=f"{msg.notification_id}.pdf")
        return mail

    async def send(self, msg: OutboundMessage) -> SendResult:
        try:
            mail = self.build_message(msg)
            reply = await asyncio.to_thread(self._deliver, mail)
        except GatewayError as exc:
            return exc.as_result(self.name)
        return SendResult(True, self.name, gateway_message_id=mail["Message-ID"], detail=reply)

    def _deliver(self, mail: EmailMessage) -> str:
        cfg = self.config
        try:
            with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds) as smtp:
                if cfg.starttls:
                    smtp.starttls()
                if cfg.username:
                    smtp.login(cfg.username, cfg.password)
                # mail/rcpt/data by hand: the offramp's 250 text carries its fax job id.
                smtp.ehlo_or_helo_if_needed()
                code, text = smtp.mail(cfg.mail_from)
                if code != 250:
                    raise smtplib.SMTPSenderRefused(code, text, cfg.mail_from)
                code, text = smtp.rcpt(str(mail["To"]))
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({str(mail["To"]): (code, text)})
                # smtplib sends bytes as they are: lines must already end in CRLF.
                code, text = smtp.data(mail.as_bytes(policy=mail.policy.clone(linesep="\r\n")))
                if code != 250:
                    raise smtplib.SMTPDataError(code, text)
                return f"传真网关已受理（{code} {_s(text)}）"
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise GatewayError(f"传真网关拒收收件人（{code} {_s(text)}）", transient=400 <= code < 500) from exc
        except smtplib.SMTPResponseException as exc:
            raise GatewayError(f"传真网关拒绝（{exc.smtp_code} {_s(exc.smtp_error)}）",
                               transient=400 <= exc.smtp_code < 500) from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
            raise GatewayError(f"无法连接传真邮件网关：{exc!r}", transient=True) from exc


def _s(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
