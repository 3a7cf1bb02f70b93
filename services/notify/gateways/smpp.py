"""SMS over SMPP 3.4 with smpplib: one bound transceiver session owned by a worker thread.

smpplib is synchronous and not thread-safe, so exactly one thread touches the socket: it binds,
submits queued messages (UCS-2 and UDH segmentation via ``smpplib.gsm.make_parts``), reads
responses and ``deliver_sm`` receipts, sends ``enquire_link`` when idle and reconnects after a drop.
``send()`` hands a job to that thread and awaits its outcome on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from services.notify.gateways.base import (
    DeliveryEvent,
    DeliveryListener,
    DeliveryOutcome,
    OutboundMessage,
    SendResult,
)
from services.notify.gateways.kannel import parse_smpp_receipt_text

log = logging.getLogger(__name__)

# submit_sm_resp statuses worth retrying later: throttled, queue full, system error, submit failed.
TRANSIENT_STATUSES = {0x58, 0x14, 0x08, 0x45}
_RECEIPT_STATES = {"DELIVRD": DeliveryOutcome.delivered, "UNDELIV": DeliveryOutcome.undelivered,
                   "EXPIRED": DeliveryOutcome.undelivered, "DELETED": DeliveryOutcome.undelivered,
                   "REJECTD": DeliveryOutcome.gateway_rejected, "ACCEPTD": DeliveryOutcome.gateway_accepted,
                   "ENROUTE": DeliveryOutcome.queued, "UNKNOWN": DeliveryOutcome.failed}


@dataclass(frozen=True)
class SmppConfig:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    source_addr: str = "12345"
    source_addr_ton: int = 5  # alphanumeric/short code
    source_addr_npi: int = 0
    enquire_link_interval: float = 30.0
    reconnect_delay: float = 1.0
    response_timeout: float = 10.0


@dataclass(eq=False)  # identity semantics: one job, many part sequences
class _Job:
    msg: OutboundMessage
    future: asyncio.Future[SendResult]
    loop: asyncio.AbstractEventLoop
    parts_left: int = 0
    message_ids: list[str] = field(default_factory=list)
    sent_at: float = 0.0

    def finish(self, result: SendResult) -> None:
        def _set() -> None:
            if not self.future.done():
                self.future.set_result(result)
        self.loop.call_soon_threadsafe(_set)


class SmppSmsGateway:
    channel = "sms"

    def __init__(self, config: SmppConfig, *, name: str = "smpp", on_event: DeliveryListener | None = None,
                 on_inbound: Callable[[str, str], None] | None = None) -> None:
        self.config = config
        self.name = name
        self._on_event = on_event
        self._on_inbound = on_inbound  # (sender, text) of MO messages, e.g. SMS acknowledgements
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._in_flight: dict[int, _Job] = {}  # submit_sm sequence -> job
        self._notification_by_message_id: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.bound = threading.Event()
        self.last_error = ""

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name=f"smpp-{self.name}", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)

    async def send(self, msg: OutboundMessage) -> SendResult:
        if self._thread is None:
            await self.start()
        loop = asyncio.get_running_loop()
        job = _Job(msg=msg, future=loop.create_future(), loop=loop)
        self._jobs.put(job)
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), self.config.response_timeout + 5)
        except TimeoutError:
            return SendResult(False, self.name, transient_error=True, detail="SMSC 未在规定时间内应答（是否已受理未知）")

    # --- worker thread -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            client = self._connect()
            if client is None:
                self._fail_queued(f"SMSC 不可用：{self.last_error}")
                self._stop.wait(self.config.reconnect_delay)
                continue
            try:
                self._serve(client)
            except (smpplib.exceptions.ConnectionError, OSError) as exc:
                self.last_error = f"SMPP 连接中断：{exc!r}"
                log.warning("smpp %s: %s", self.name, self.last_error)
            finally:
                self.bound.clear()
                self._fail_in_flight("SMPP 连接中断，提交结果未知")
                try:
                    client.disconnect()
                except Exception:  # noqa: BLE001 - the socket is already gone
                    pass

    def _connect(self) -> smpplib.client.Client | None:
        client = smpplib.client.Client(self.config.host, self.config.port, timeout=self.config.response_timeout,
                                       allow_unknown_opt_params=True)
        client.set_message_sent_handler(self._on_submit_resp)
        client.set_message_received_handler(self._on_deliver_sm)
        client.set_error_pdu_handler(self._on_error_pdu)
        try:
            client.connect()
            client.bind_transceiver(system_id=self.config.system_id, password=self.config.password,
                                    system_type=self.config.system_type)
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            self.last_error = f"绑定 SMSC 失败：{exc}"
            try:
                client.disconnect()
            except Exception:  # noqa: BLE001
                pass
            return None
        self.bound.set()
        return client

    def _serve(self, client: smpplib.client.Client) -> None:
        last_activity = time.monotonic()
        while not self._stop.is_set():
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                self._submit(client, job)
                last_activity = time.monotonic()
            readable, _, _ = select.select([client._socket], [], [], 0.05)
            if readable:
                client.read_once(auto_send_enquire_link=False)
                last_activity = time.monotonic()
            elif time.monotonic() - last_activity > self.config.enquire_link_interval:
                client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
                last_activity = time.monotonic()
            self._expire_in_flight()
        try:
            client.unbind()
        except Exception:  # noqa: BLE001 - best effort on shutdown
            pass

    def _submit(self, client: smpplib.client.Client, job: _Job) -> None:
        try:
            parts, data_coding, esm_class = smpplib.gsm.make_parts(job.msg.text)
        except smpplib.exceptions.MessageTooLong:
            job.finish(SendResult(False, self.name, detail="短信过长，超过 255 段"))
            return
        job.parts_left = len(parts)
        job.sent_at = time.monotonic()
        destination = job.msg.to.lstrip("+")
        for part in parts:
            pdu = client.send_message(
                source_addr_ton=self.config.source_addr_ton, source_addr_npi=self.config.source_addr_npi,
                source_addr=self.config.source_addr, dest_addr_ton=1, dest_addr_npi=1,
                destination_addr=destination, short_message=part, data_coding=data_coding,
                esm_class=esm_class, registered_delivery=True,
            )
            self._in_flight[pdu.sequence] = job

    def _on_submit_resp(self, pdu: object, **_: object) -> None:
        job = self._in_flight.pop(pdu.sequence, None)  # type: ignore[attr-defined]
        if job is None or job.future.done():
            return
        message_id = _text(pdu.message_id)  # type: ignore[attr-defined]
        job.message_ids.append(message_id)
        self._notification_by_message_id[message_id] = job.msg.notification_id
        job.parts_left -= 1
        if job.parts_left == 0:
            job.finish(SendResult(True, self.name, gateway_message_id=job.message_ids[0],
                                  detail="SMSC 已受理：" + ",".join(job.message_ids)))

    def _on_error_pdu(self, pdu: object) -> None:
        status = int(pdu.status)  # type: ignore[attr-defined]
        job = self._in_flight.pop(pdu.sequence, None)  # type: ignore[attr-defined]
        description = smpplib.consts.DESCRIPTIONS.get(status, "未知状态")
        if job is None:
            log.warning("smpp %s: error PDU %s status %#x %s", self.name, pdu.command, status, description)  # type: ignore[attr-defined]
            return
        for seq in [s for s, j in self._in_flight.items() if j is job]:  # drop the other parts' slots
            del self._in_flight[seq]
        job.finish(SendResult(False, self.name, transient_error=status in TRANSIENT_STATUSES,
                              detail=f"SMSC 拒绝提交（{status:#04x} {description}）"))

    def _on_deliver_sm(self, pdu: object, **_: object) -> int:
        esm_class = int(getattr(pdu, "esm_class", 0) or 0)
        text = _text(getattr(pdu, "short_message", b""), data_coding=int(getattr(pdu, "data_coding", 0) or 0))
        if esm_class & 0x04:  # SMSC delivery receipt
            event = self.receipt_event(text, _text(getattr(pdu, "receipted_message_id", None) or b""))
            if event is not None and self._on_event is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(_dispatch, self._on_event, event)
        elif self._on_inbound is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._on_inbound, _text(getattr(pdu, "source_addr", b"")), text)
        return smpplib.consts.SMPP_ESME_ROK

    def receipt_event(self, receipt_text: str, receipted_message_id: str = "") -> DeliveryEvent | None:
        fields = parse_smpp_receipt_text(receipt_text)
        message_id = receipted_message_id or fields.get("id", "")
        notification_id = self._notification_by_message_id.get(message_id)
        if notification_id is None:
            log.warning("smpp %s: receipt for unknown message id %r: %s", self.name, message_id, receipt_text)
            return None
        outcome = _RECEIPT_STATES.get(fields.get("stat", "").upper(), DeliveryOutcome.failed)
        return DeliveryEvent(notification_id, self.name, outcome, gateway_message_id=message_id,
                             detail=receipt_text, raw=fields)

    def _expire_in_flight(self) -> None:
        now = time.monotonic()
        for seq, job in list(self._in_flight.items()):
            if now - job.sent_at > self.config.response_timeout:
                del self._in_flight[seq]
                job.finish(SendResult(False, self.name, transient_error=True, detail="SMSC 应答超时（是否已受理未知）"))

    def _fail_in_flight(self, detail: str) -> None:
        for job in set(self._in_flight.values()):
            job.finish(SendResult(False, self.name, transient_error=True, detail=detail))
        self._in_flight.clear()

    def _fail_queued(self, detail: str) -> None:
        while True:
            try:
                self._jobs.get_nowait().finish(SendResult(False, self.name, transient_error=True, detail=detail))
            except queue.Empty:
                return


def _dispatch(listener: DeliveryListener, event: DeliveryEvent) -> None:
    outcome = listener(event)
    if asyncio.iscoroutine(outcome):
        asyncio.ensure_future(outcome)


def _text(value: object, *, data_coding: int = 0) -> str:
    if isinstance(value, bytes):
        if data_coding == 8:
            return value.decode("utf-16-be", errors="replace")
        return value.decode("latin-1").rstrip("\x00")
    return "" if value is None else str(value)
