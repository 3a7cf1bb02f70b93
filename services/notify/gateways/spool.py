"""File-spool gateway: each message becomes one JSON file, for drills and embedded mode."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from services.notify.gateways.base import GatewayError, OutboundMessage, SendResult, id_to_token


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SpoolGateway:
    """Writes ``<spool_dir>/<notification id>.json`` atomically (temp file, then link into place).

    The file name is the notification id, and the final step is ``os.link`` which refuses to
    overwrite: a second send of the same id leaves the first file and reports a duplicate.
    """

    def __init__(
        self, spool_dir: Path, *, name: str = "spool", channel: str = "spool", clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self.spool_dir = Path(spool_dir)
        self.name = name
        self.channel = channel
        self._clock = clock

    def path_for(self, notification_id: str) -> Path:
        return self.spool_dir / f"{id_to_token(notification_id)}.json"

    async def lookup(self, notification_id: str) -> bool | None:
        """Did this gateway take the message? The spool can always tell: the file is there or not."""
        return await asyncio.to_thread(self.path_for(notification_id).exists)

    async def send(self, msg: OutboundMessage) -> SendResult:
        try:
            created = await asyncio.to_thread(self._write, msg)
        except GatewayError as exc:
            return exc.as_result(self.name)
        detail = "已写入投递目录" if created else "重复发送：该通知已在投递目录中，未再写入"
        return SendResult(accepted=True, gateway=self.name, gateway_message_id=self.path_for(msg.notification_id).name,
                          detail=detail)

    def _write(self, msg: OutboundMessage) -> bool:
        record = {
            "notification_id": msg.notification_id,
            "to": msg.to,
            "subject": msg.subject,
            "text": msg.text,
            "channel": self.channel,
            "spooled_at": self._clock().isoformat(),
            "document_pdf_base64": base64.b64encode(msg.document_pdf).decode("ascii") if msg.document_pdf else None,
        }
        final = self.path_for(msg.notification_id)
        try:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            if final.exists():
                return False
            # ".part", not ".json": whoever reads the spool (a drill, a test) globs *.json and must never see
            # a file still being written
            fd, tmp_name = tempfile.mkstemp(dir=self.spool_dir, prefix=".tmp-", suffix=".part")
        except OSError as exc:
            raise GatewayError(f"投递目录不可写：{exc}", transient=True) from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh, ensure_ascii=False, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp_name, final)  # atomic and never replaces: concurrent duplicates lose here
            except FileExistsError:
                return False
            return True
        except OSError as exc:
            raise GatewayError(f"写入投递文件失败：{exc}", transient=True) from exc
        finally:
            os.unlink(tmp_name)
