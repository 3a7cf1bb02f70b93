"""Helpers of the send use case: the contact plan of a message, the text and document of one step,
masking for logs and history. No state changes here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.notify.domain.acks import AckToken, new_ack_code, sign_ack_token
from services.notify.domain.directory import ContactKind, Person, mask_value
from services.notify.domain.fax_pdf import FaxLimits, check_fax_document, render_cover_pdf
from services.notify.domain.outbound import fax_lines, step_text
from services.notify.domain.templates import FaxCover
from shared.clock import to_local
from shared.contracts.events import NotifyChannel
from shared.contracts.report import Classification

CHANNEL_NAMES = {"sms": "短信", "phone": "电话", "fax": "传真", "email": "电子邮件", "spool": "投递目录"}


def plan_for(person: Person, channels: list[NotifyChannel], at: datetime, *,
             requested_only: bool = False) -> list[dict[str, str]]:
    """The caller's channels first (in the person's priority order), then the person's other usable
    methods: silence on one method moves to the next. Private methods are never in an automatic plan.
    ``requested_only`` (a message needing no acknowledgement, e.g. a written report): the caller's channels
    only — a failure there moves to the next of them, never to a method the caller did not ask for."""
    if NotifyChannel.spool in channels:
        first = person.contact_plan(at)[:1]
        value = first[0][1].value if first else person.id
        return [{"channel": "spool", "kind": first[0][1].kind.value if first else "id", "value": value}]
    seen: set[tuple[str, str]] = set()
    plan: list[dict[str, str]] = []
    sources = [person.contact_plan(at, channels=channels)]
    if not requested_only:
        sources.append(person.contact_plan(at))
    for pairs in sources:
        for channel, method in pairs:
            if (channel.value, method.value) not in seen:
                seen.add((channel.value, method.value))
                plan.append({"channel": channel.value, "kind": method.kind.value, "value": method.value})
    return plan


def sms_address(plan: list[dict[str, str]]) -> str | None:
    """Replies are matched by the sender's number: the mobile the plan texts (or calls)."""
    return next((p["value"] for p in plan if p["kind"] == ContactKind.mobile.value), None)


async def fresh_code(store: Any, address: str | None) -> str:
    return new_ack_code(set(await store.open_codes(address)) if address else set())


def current_channel(doc: dict[str, Any]) -> str | None:
    plan = doc.get("plan") or []
    step = doc.get("step", 0)
    return plan[step]["channel"] if step < len(plan) else None


def masked(channel: str, value: str) -> str:
    kind = {"sms": ContactKind.mobile, "phone": ContactKind.mobile, "fax": ContactKind.fax,
            "email": ContactKind.email}.get(channel)
    if value.startswith("sip"):
        kind = ContactKind.sip
    return mask_value(kind, value) if kind else mask_value(ContactKind.mobile, value) if value[:1] == "+" else "***"


def is_spool(pool: Any, channel: str) -> bool:
    gateways = pool.routes.get(channel, [])
    return bool(gateways) and all(g.name == "spool" for g in gateways)


@dataclass(frozen=True)
class MessageView:
    notification_id: str
    classification: Classification
    subject: str
    body: str


@dataclass(frozen=True)
class StepOut:
    subject: str
    text: str
    segments: int
    encoding: str
    document_pdf: bytes | None = None


def ack_link(svc: Any, doc: dict[str, Any]) -> str:
    expires = svc.clock.now() + timedelta(hours=svc.settings.ack_link_hours)
    token = sign_ack_token(AckToken(doc["_id"], doc["person_id"], expires), secret=svc.ack_secret)
    return f"{svc.settings.public_base_url.rstrip('/')}/api/v1/notify/ack/{token}"


def outbound(svc: Any, doc: dict[str, Any], _message: Any, channel: str, *, recipient_name: str | None = None) -> StepOut:
    """Built from the stored message only: a classified one stored no subject or body, so nothing of
    it can reach a gateway even if a caller forgot the flag somewhere else. A fax cover names the
    recipient as the directory knows them (the id only when the directory has no name)."""
    view = MessageView(doc["_id"], Classification(doc["classification"]), doc.get("subject", ""), doc.get("body", ""))
    wants_ack = doc.get("ack_required", True)  # messages stored before the field existed all wanted one
    text = step_text(view, NotifyChannel(channel), svc.templates, ack_code=doc["ack_code"] if wants_ack else None,
                     ack_link=ack_link(svc, doc) if wants_ack else "")
    pdf = None
    if channel == "fax":
        now = to_local(svc.clock.now())
        cover = FaxCover(masthead=svc.settings.masthead, number=f"值传〔{now:%Y}〕{doc['_id'][-6:]}号",
                         urgency="特急" if doc.get("incident_id") else "平急", sender=svc.settings.office,
                         signed_by="值班室", title=text.subject or "通知", recipients=(recipient_name or doc["person_id"],), pages=1,
                         date=f"{now.year}年{now.month}月{now.day}日")
        pdf = render_cover_pdf(fax_lines(svc.templates, cover, text.text))
        check_fax_document(pdf, pages=1, limits=FaxLimits(max_bytes=svc.settings.fax_max_bytes))
    return StepOut(text.subject, text.text, text.segments, text.encoding, pdf)
