"""Fax through HylaFAX's client protocol (hfaxd, an FTP superset on port 4559), no HylaFAX binaries.

ftplib is synchronous, so each operation runs in a worker thread with its own short session.

After a job is submitted, its state is followed two ways, both ending in the same ``DeliveryEvent``s:
the adapter polls ``JPARM STATE`` until the job is DONE or FAILED (``on_event``), and the server's
notify script can call notify's ``/api/v1/notify/fax`` webhook (``parse_webhook``). Either one alone
is enough; the state machine ignores the second report of the same thing. Our notification id goes
into the job as ``JOBINFO`` (shown as ``jobtag``), made safe by ``id_to_token``.
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from services.notify.gateways.base import (
    DeliveryEvent,
    DeliveryListener,
    DeliveryOutcome,
    GatewayError,
    MalformedReceipt,
    OutboundMessage,
    SendResult,
    id_to_token,
    token_to_id,
)

log = structlog.get_logger("zhiban.notify.hylafax")

# hfaxd job states (JPARM STATE) → what notify reports.
JOB_STATES: dict[str, DeliveryOutcome] = {
    "SUSPENDED": DeliveryOutcome.queued, "PENDING": DeliveryOutcome.queued, "SLEEPING": DeliveryOutcome.queued,
    "BLOCKED": DeliveryOutcome.queued, "READY": DeliveryOutcome.queued, "ACTIVE": DeliveryOutcome.gateway_accepted,
    "DONE": DeliveryOutcome.delivered, "FAILED": DeliveryOutcome.failed,
}
TERMINAL_STATES = frozenset({"DONE", "FAILED"})
# ``why`` of the server's notify script (faxq) → what notify reports.
WEBHOOK_WHY: dict[str, DeliveryOutcome] = {
    "done": DeliveryOutcome.delivered,
    "requeued": DeliveryOutcome.queued, "blocked": DeliveryOutcome.queued,
    "failed": DeliveryOutcome.failed, "rejected": DeliveryOutcome.failed, "killed": DeliveryOutcome.failed,
    "timedout": DeliveryOutcome.failed, "removed": DeliveryOutcome.failed, "format_failed": DeliveryOutcome.failed,
    "no_formatter": DeliveryOutcome.failed,
}
_DIALSTRING = re.compile(r"\+?[0-9]{2,20}")


@dataclass(frozen=True)
class HylafaxConfig:
    host: str
    port: int = 4559
    user: str = "notify"
    password: str = ""
    max_dials: int = 3
    kill_time: str = "000500"  # hhmmss: give up after 5 minutes of trying
    notify: str = "DONE+REQUEUE"  # the server's notify script (our webhook) runs on done and requeue
    timeout_seconds: float = 30.0
    max_document_bytes: int = 10 * 1024 * 1024
    poll_interval_seconds: float = 10.0  # JPARM STATE of a submitted job, until DONE or FAILED
    poll_for_seconds: float = 900.0  # longer than kill_time: then the webhook (or a person) has the last word


@dataclass(frozen=True)
class FaxJobStatus:
    job_id: str
    state: str
    pages_sent: int
    pages_total: int
    status_text: str

    @property
    def outcome(self) -> DeliveryOutcome:
        return JOB_STATES.get(self.state, DeliveryOutcome.failed)


class HylafaxGateway:
    channel = "fax"

    def __init__(self, config: HylafaxConfig, *, name: str = "hylafax", on_event: DeliveryListener | None = None) -> None:
        self.config = config
        self.name = name
        self._on_event = on_event
        self._follows: set[asyncio.Task[None]] = set()

    async def send(self, msg: OutboundMessage) -> SendResult:
        try:
            job_id = await asyncio.to_thread(self._submit, msg)
        except GatewayError as exc:
            return exc.as_result(self.name)
        if self._on_event is not None:
            task = asyncio.create_task(self.follow(job_id, msg.notification_id))
            self._follows.add(task)
            task.add_done_callback(self._follows.discard)
        return SendResult(True, self.name, gateway_message_id=job_id, detail=f"传真任务已提交，任务号 {job_id}")

    async def follow(self, job_id: str, notification_id: str) -> FaxJobStatus | None:
        """Polls the job and reports each change of state; returns the final status (None: gave up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.poll_for_seconds
        last: tuple[str, str] | None = None
        while loop.time() < deadline:
            await asyncio.sleep(self.config.poll_interval_seconds)
            try:
                status = await self.job_status(job_id)
            except GatewayError as exc:  # hfaxd restarting: try again next round; a bad job id: stop
                log.warning("fax job poll failed", job_id=job_id, detail=exc.detail)
                if not exc.transient:
                    return None
                continue
            if (status.state, status.status_text) != last:
                last = (status.state, status.status_text)
                await self._emit(DeliveryEvent(
                    notification_id, self.name, status.outcome, gateway_message_id=job_id,
                    detail=f"传真任务 {job_id}：{status.state} {status.pages_sent}/{status.pages_total} "
                           f"{status.status_text}".strip()))
            if status.state in TERMINAL_STATES:
                return status
        return None

    async def stop(self) -> None:
        for task in list(self._follows):
            task.cancel()
        await asyncio.gather(*self._follows, return_exceptions=True)

    async def _emit(self, event: DeliveryEvent) -> None:
        if self._on_event is None:
            return
        try:
            result = self._on_event(event)
            if asyncio.iscoroutine(result):
                await result
        except Exception:  # noqa: BLE001 - a listener's failure must not end the job's follow-up
            log.exception("fax job event not applied", notification_id=event.notification_id)

    async def job_status(self, job_id: str) -> FaxJobStatus:
        return await asyncio.to_thread(self._status, job_id)

    async def job_event(self, job_id: str, notification_id: str) -> DeliveryEvent:
        status = await self.job_status(job_id)
        return DeliveryEvent(notification_id, self.name, status.outcome, gateway_message_id=job_id,
                             detail=f"{status.state} {status.pages_sent}/{status.pages_total} {status.status_text}")

    def _session(self) -> ftplib.FTP:
        ftp = ftplib.FTP(timeout=self.config.timeout_seconds)
        try:
            ftp.connect(self.config.host, self.config.port)
            ftp.login(self.config.user, self.config.password)
            ftp.voidcmd("TYPE I")
        except ftplib.error_perm as exc:
            raise GatewayError(f"HylaFAX 拒绝登录：{exc}", transient=False) from exc
        except (TimeoutError, ftplib.Error, OSError, EOFError) as exc:
            raise GatewayError(f"无法连接 HylaFAX：{exc!r}", transient=True) from exc
        return ftp

    def _submit(self, msg: OutboundMessage) -> str:
        document = msg.document_pdf
        if not document:
            raise GatewayError("传真必须附带 PDF 文件", transient=False)
        if len(document) > self.config.max_document_bytes:
            raise GatewayError(f"传真文件过大：{len(document)} 字节", transient=False)
        dialstring = re.sub(r"[\s().-]", "", msg.to)
        if not _DIALSTRING.fullmatch(dialstring):
            raise GatewayError(f"传真号码格式无效：{msg.to!r}", transient=False)
        ftp = self._session()
        try:
            stored = ftp.storbinary("STOT", io.BytesIO(document))  # STOT: server picks a unique temp name
            path = _match(r"FILE: (\S+)\)", stored, "STOT")
            job_id = _match(r"jobid: (\d+)", ftp.sendcmd("JNEW"), "JNEW")
            for key, value in (("FROMUSER", self.config.user), ("DIALSTRING", dialstring),
                               ("NOTIFY", self.config.notify), ("JOBINFO", id_to_token(msg.notification_id)),
                               ("MAXDIALS", self.config.max_dials), ("LASTTIME", self.config.kill_time),
                               ("DOCUMENT", path)):
                ftp.sendcmd(f"JPARM {key} {value}")
            ftp.sendcmd("JSUBM")
            return job_id
        except ftplib.error_perm as exc:
            raise GatewayError(f"HylaFAX 拒绝任务：{exc}", transient=False) from exc
        except (ftplib.Error, OSError, EOFError) as exc:
            raise GatewayError(f"与 HylaFAX 通信失败（任务是否已提交未知）：{exc!r}", transient=True) from exc
        finally:
            _quit(ftp)

    def _status(self, job_id: str) -> FaxJobStatus:
        ftp = self._session()
        try:
            ftp.sendcmd(f"JOB {job_id}")
            values = {key: _jparm(ftp, key) for key in ("STATE", "NPAGES", "TOTPAGES", "STATUS")}
        except ftplib.error_perm as exc:
            raise GatewayError(f"查询传真任务 {job_id} 失败：{exc}", transient=False) from exc
        except (ftplib.Error, OSError, EOFError) as exc:
            raise GatewayError(f"与 HylaFAX 通信失败：{exc!r}", transient=True) from exc
        finally:
            _quit(ftp)
        return FaxJobStatus(job_id, values["STATE"].upper(), _int(values["NPAGES"]), _int(values["TOTPAGES"]),
                            values["STATUS"])


def parse_webhook(fields: Mapping[str, str], *, gateway: str = "hylafax") -> DeliveryEvent:
    """The server's notify script called us: ``why`` (done, failed, requeued, ...), ``jobid``, ``jobtag``
    (our JOBINFO), ``npages``/``totpages`` and the job's ``status`` text."""
    token = fields.get("jobtag", "")
    if not token:
        raise MalformedReceipt("传真回调缺少通知编号（jobtag）")
    why = fields.get("why", "")
    if why not in WEBHOOK_WHY:
        raise MalformedReceipt(f"未知的传真任务通知类型：{why!r}")
    outcome = WEBHOOK_WHY[why]
    pages = f"{fields.get('npages', '?')}/{fields.get('totpages', '?')}"
    detail = f"传真任务 {fields.get('jobid', '?')}：{why} {pages} {fields.get('status', '')}".strip()
    return DeliveryEvent(token_to_id(token), gateway, outcome, gateway_message_id=fields.get("jobid") or None,
                         detail=detail, raw=dict(fields))


def _jparm(ftp: ftplib.FTP, key: str) -> str:
    reply = ftp.sendcmd(f"JPARM {key}")  # "213 READY" style
    return reply[4:].strip() if len(reply) > 3 else ""


def _match(pattern: str, reply: str, command: str) -> str:
    found = re.search(pattern, reply)
    if not found:
        raise GatewayError(f"HylaFAX 对 {command} 的应答无法识别：{reply[:200]}", transient=False)
    return found.group(1)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _quit(ftp: ftplib.FTP) -> None:
    try:
        ftp.quit()
    except (ftplib.Error, OSError, EOFError):
        ftp.close()
