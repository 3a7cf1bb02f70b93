"""A send journal on local disk for the gateways that cannot be asked afterwards whether they took a
message (Kannel, SMPP, voice, fax): one small file per hand-over, written *before* the gateway is called.

Exactly-once normally rests on the store: the step's claim (``sending``) survives a crash in MongoDB, and
``Events.recover_stuck`` never resends blindly. Where the store does not survive a crash — the embedded
mode and the integration tests run on ``memory://`` — the broker redelivers the ``notify.send`` to a
process that remembers nothing, and without this journal it would send the SMS a second time. With it:

- no file: never handed over → send;
- ``started``: a hand-over began and its answer never came back (the process died during the call) →
  ``in_doubt``: not sent again, not failed over; the step waits for a person (``needs_person``), exactly
  what the store's claim gives with MongoDB;
- ``accepted``: the gateway took it → reported as accepted again, nothing sent.

A refusal removes the file (nothing was taken; a retry may send). The key is the gateway key plus the
retry round (``OutboundMessage.attempt``), so a deliberate later round or a person's resend is a new
hand-over. Off unless ``NotifySettings.send_journal_dir`` is set; files are created with O_EXCL, so two
processes sharing the directory cannot both start the same hand-over.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from services.notify.gateways.base import Gateway, OutboundMessage, SendResult, id_to_token

STARTED, ACCEPTED = "started", "accepted"


class JournalledGateway:
    def __init__(self, inner: Gateway, journal_dir: Path) -> None:
        self.inner = inner
        self.name, self.channel = inner.name, inner.channel
        self.directory = Path(journal_dir) / inner.name

    def path_for(self, msg: OutboundMessage) -> Path:
        return self.directory / f"{id_to_token(msg.notification_id)}.r{msg.attempt}"

    async def send(self, msg: OutboundMessage) -> SendResult:
        path = self.path_for(msg)
        try:
            begun = await asyncio.to_thread(_create, path, STARTED)
        except OSError as exc:  # cannot promise exactly-once: do not send
            return SendResult(False, self.name, transient_error=True, detail=f"发送日志不可写：{exc}")
        if not begun:
            record = await asyncio.to_thread(_read, path)
            state, _, gateway_message_id = record.partition(" ")
            if state == ACCEPTED:
                return SendResult(True, self.name, gateway_message_id=gateway_message_id or None,
                                  detail="重复发送：发送日志显示网关此前已受理，未再发送")
            return SendResult(False, self.name, in_doubt=True,
                              detail="此前的发送中断，网关是否已发出未知（发送日志）：请人工核实，不自动重发")
        result = await self.inner.send(msg)  # raised or cancelled: the file stays, the hand-over is in doubt
        if result.accepted:
            await asyncio.to_thread(_replace, path, f"{ACCEPTED} {result.gateway_message_id or ''}".strip())
        else:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        return result

    async def stop(self) -> None:
        stop = getattr(self.inner, "stop", None)
        if stop is not None:
            await stop()


def _create(path: Path, content: str) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(path.parent)
    return True


def _replace(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:  # the other holder finished with a refusal meanwhile
        return STARTED


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
