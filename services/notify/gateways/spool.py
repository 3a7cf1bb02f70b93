"""The file-spool gateway: each message becomes one file in a directory. A real adapter — drills and the
embedded mode use it — not a test double. The file name is the notification id, and the file is written
atomically (temp file + rename), so sending the same notification twice leaves exactly one file."""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from pathlib import Path

from services.notify.gateways.base import GatewayError, OutboundMessage, SendResult

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def spool_name(notification_id: str) -> str:
    return _UNSAFE.sub("_", notification_id) + ".json"


class SpoolGateway:
    channel = "spool"

    def __init__(self, directory: Path, *, name: str = "spool") -> None:
        self.directory = directory
        self.name = name

    async def send(self, msg: OutboundMessage) -> SendResult:
        return await asyncio.to_thread(self._write, msg)

    def _write(self, msg: OutboundMessage) -> SendResult:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / spool_name(msg.notification_id)
            if target.exists():
                return SendResult(accepted=True, gateway_message_id=target.name, delivered=True, detail="已存在")
            payload = {"notification_id": msg.notification_id, "to": msg.to, "subject": msg.subject, "text": msg.text}
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, ensure_ascii=False, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            raise GatewayError(f"写入投递目录失败：{exc}", transient=True) from exc
        return SendResult(accepted=True, gateway_message_id=target.name, delivered=True)
