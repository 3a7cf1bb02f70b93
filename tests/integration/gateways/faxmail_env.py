"""An e-mail-to-fax offramp on loopback: aiosmtpd in front of HylaFAX's ``faxmail``, as an MTA's pipe
transport would be (GATEWAYS.md §2). RFC 3192 minimal addressing: only ``FAX=<number>@<domain>`` is
accepted; the message is piped into ``faxmail -n -N <number> <sender>``, which formats it, submits the
job to our private hfaxd (``Host``/``Port`` from the ``.hylarc`` in ``HOME``: the system hyla.conf says
``Host: localhost`` and faxmail 6.0.7 has no ``-h``), and prints ``request id is N``."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

from .harness import free_port

_REQUEST_ID = re.compile(r"request id is (\d+)")


@dataclass
class FaxmailOfframp:
    home: Path  # contains .hylarc
    domain: str = "fax.localhost"
    jobs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if not re.fullmatch(rf"FAX=\+?[0-9]+@{re.escape(self.domain)}", address):
            return "550 5.1.1 not a fax address (RFC 3192: FAX=<number>@" + self.domain + ")"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        ids = []
        for rcpt in envelope.rcpt_tos:
            number = rcpt.split("=", 1)[1].split("@", 1)[0]
            raw = envelope.original_content.replace(b"\r\n", b"\n")  # a pipe transport hands over LF lines
            proc = await asyncio.create_subprocess_exec(
                "faxmail", "-n", "-N", number, envelope.mail_from, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                env={**os.environ, "HOME": str(self.home)})
            out, _ = await asyncio.wait_for(proc.communicate(raw), 60)
            text = out.decode(errors="replace")
            found = _REQUEST_ID.search(text)
            if proc.returncode != 0 or not found:
                self.failures.append(text)
                return f"451 4.3.0 faxmail failed (exit {proc.returncode})"
            ids.append(found.group(1))
        self.jobs.extend(ids)
        return "250 OK request id is " + ",".join(ids)


@contextmanager
def running_offramp(offramp: FaxmailOfframp) -> Iterator[int]:
    controller = Controller(offramp, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
