"""Fax through HylaFAX's client protocol (hfaxd, an FTP superset on port 4559), no HylaFAX binaries.

ftplib is synchronous, so each operation runs in a worker thread with its own short session.
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import re
from dataclasses import dataclass

from services.notify.gateways.base import (
    DeliveryEvent,
    DeliveryOutcome,
    GatewayError,
    OutboundMessage,
    SendResult,
)

# hfaxd job states (JPARM STATE) → what notify reports.
JOB_STATES: dict[str, DeliveryOutcome] = {
    "SUSPENDED": DeliveryOutcome.queued, "PENDING": DeliveryOutcome.queued, "SLEEPING": DeliveryOutcome.queued,
    "BLOCKED": DeliveryOutcome.queued, "READY": DeliveryOutcome.queued, "ACTIVE": DeliveryOutcome.gateway_accepted,
    "DONE": DeliveryOutcome.delivered, "FAILED": DeliveryOutcome.failed,
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

    def __init__(self, config: HylafaxConfig, *, name: str = "hylafax") -> None:
        self.config = config
        self.name = name

    async def send(self, msg: OutboundMessage) -> SendResult:
        try:
            job_id = await asyncio.to_thread(self._submit, msg)
        except GatewayError as exc:
            return exc.as_result(self.name)
        return SendResult(True, self.name, gateway_message_id=job_id, detail=f"传真任务已提交，任务号 {job_id}")

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
                               ("NOTIFY", self.config.notify), ("JOBINFO", msg.notification_id),
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
