"""Acknowledgements (issue 5 §6, R-09): a code in the message, a keypress in a call, a signed link;
and the escalation chain that runs while nobody acknowledges.

Ack codes are four digits, drawn so that none starts with 0 (some handsets and IVRs drop it), none
repeats one digit (1111 is what a pocket dials) and none is an ascending/descending run (1234 is
what a lazy reply types). Uniqueness is needed only among the codes still open for the same
recipient number, because a reply is matched by (sender number, code).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.contracts.events import NotifyChannel

ACK_CODE_LENGTH = 4
_CODE_IN_TEXT = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ACK_WORDS = ("收到", "确认", "已阅", "明白", "好的", "ok", "OK", "知道了")


class AckError(ValueError):
    pass


def is_good_code(code: str) -> bool:
    if len(code) != ACK_CODE_LENGTH or not code.isdigit() or code[0] == "0" or len(set(code)) == 1:
        return False
    steps = {int(b) - int(a) for a, b in zip(code, code[1:], strict=False)}
    return steps not in ({1}, {-1})


def new_ack_code(taken: Collection[str], *, randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A fresh code not in ``taken`` (the recipient's open codes). ``randbelow`` is injectable for tests.

    Random draws first (codes must not be guessable from each other); if the space is nearly full,
    the first free code in order; if none is free, an error rather than an endless loop.
    """
    for _ in range(200):
        code = str(1000 + randbelow(9000))
        if is_good_code(code) and code not in taken:
            return code
    for number in range(1000, 10000):
        if is_good_code(code := str(number)) and code not in taken:
            return code
    raise AckError("该接收人未确认的通知过多，已无可用确认码")


@dataclass(frozen=True)
class SmsReply:
    code: str | None  # None: an acknowledgement word without a code ("收到")
    text: str


def parse_sms_reply(text: str) -> SmsReply | None:
    """``"1234"``, ``"收到 1234"``, ``"确认1234"``, ``"１２３４收到"`` -> code 1234.

    ``"收到"`` alone -> code None: the handler accepts it only if the sender has exactly one open
    notification. Two different codes, or text that is neither, -> None (recorded, not guessed).
    """
    normalised = unicodedata.normalize("NFKC", text).strip()
    codes = set(_CODE_IN_TEXT.findall(normalised))
    if len(codes) == 1:
        return SmsReply(codes.pop(), normalised)
    if not codes and any(word in normalised for word in _ACK_WORDS):
        return SmsReply(None, normalised)
    return None


class Keypress(StrEnum):
    acknowledge = "acknowledge"
    repeat = "repeat"
    unknown = "unknown"


def parse_keypress(dtmf: str, *, ack_code: str | None = None) -> Keypress:
    """The voice prompt says 按1确认、按9重听; the ack code typed in full also counts."""
    digits = dtmf.strip().rstrip("#")
    if digits == "1" or (ack_code is not None and digits == ack_code):
        return Keypress.acknowledge
    if digits == "9":
        return Keypress.repeat
    return Keypress.unknown


# -- signed acknowledgement links ----------------------------------------------------------------

@dataclass(frozen=True)
class AckToken:
    notification_id: str
    person_id: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_ack_token(token: AckToken, *, secret: bytes) -> str:
    """``payload.signature``, both base64url; HMAC-SHA256 over the payload bytes."""
    if len(secret) < 16:
        raise AckError("确认链接密钥过短（至少16字节）")
    payload = json.dumps(
        {"n": token.notification_id, "p": token.person_id, "e": int(token.expires_at.timestamp())},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    return f"{_b64(payload)}.{_b64(hmac.new(secret, payload, hashlib.sha256).digest())}"


def verify_ack_token(text: str, *, secret: bytes, now: datetime) -> AckToken:
    """The token's content, or ``AckError`` (格式错误 / 签名无效 / 已过期). Signature before expiry:
    an attacker learns nothing from a forged token's expiry message."""
    try:
        payload_b64, signature_b64 = text.split(".")
        payload, signature = _unb64(payload_b64), _unb64(signature_b64)
    except ValueError:
        raise AckError("确认链接格式错误") from None
    if not hmac.compare_digest(signature, hmac.new(secret, payload, hashlib.sha256).digest()):
        raise AckError("确认链接签名无效")
    try:
        data = json.loads(payload)
        expires_at = datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo)
        token = AckToken(str(data["n"]), str(data["p"]), expires_at)
    except (ValueError, KeyError, TypeError):
        raise AckError("确认链接格式错误") from None
    if now >= token.expires_at:
        raise AckError("确认链接已过期，请回复短信确认码或致电值班室")
    return token


# -- escalation chain while nobody acknowledges --------------------------------------------------

class StepKind(StrEnum):
    contact = "contact"  # try this channel/address for the same person
    report_back = "report_back"  # tell escalation: this person did not acknowledge, pick the next


@dataclass(frozen=True)
class EscalationStep:
    kind: StepKind
    person_id: str
    starts_after: timedelta  # from the start of the chain
    wait: timedelta  # silence tolerated before the next step
    channel: NotifyChannel | None = None
    address: str = ""


DEFAULT_TIMEOUTS: Mapping[NotifyChannel, timedelta] = {
    NotifyChannel.phone: timedelta(minutes=3),
    NotifyChannel.sms: timedelta(minutes=10),
    NotifyChannel.fax: timedelta(minutes=20),
    NotifyChannel.email: timedelta(minutes=30),
    NotifyChannel.spool: timedelta(minutes=10),
}


def escalation_chain(
    person_id: str,
    methods: Sequence[tuple[NotifyChannel, str]],
    timeouts: Mapping[NotifyChannel, timedelta] = DEFAULT_TIMEOUTS,
) -> list[EscalationStep]:
    """One contact step per (channel, address) in the given order (``Person.contact_plan`` gives
    it), each waiting its channel's timeout, then a final report-back step."""
    steps: list[EscalationStep] = []
    elapsed = timedelta()
    for channel, address in methods:
        wait = timeouts.get(channel, DEFAULT_TIMEOUTS[channel])
        steps.append(EscalationStep(StepKind.contact, person_id, elapsed, wait, channel, address))
        elapsed += wait
    steps.append(EscalationStep(StepKind.report_back, person_id, elapsed, timedelta()))
    return steps


def due_steps(chain: Sequence[EscalationStep], *, started_at: datetime, now: datetime) -> list[EscalationStep]:
    """Every step whose time has come; the handler runs the ones it has not run yet (by index).
    After an acknowledgement the handler stops asking."""
    return [step for step in chain if started_at + step.starts_after <= now]
