"""Renders a private kannel.conf and runs bearerbox + (fakesmsc | SMPP SMSC simulator) + smsbox on loopback."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .harness import Daemons, free_port, wait_for_port, wait_until

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
ADMIN_PASSWORD = "adm1n"
SENDSMS_USER = "notify"
SENDSMS_PASSWORD = "s3cret"

_CORE = """group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = {admin_password}
status-password = {admin_password}
admin-allow-ip = "127.0.0.1"
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = "{run_dir}/bearerbox.log"
log-level = 0
access-log = "{run_dir}/access.log"
dlr-storage = internal
sms-resend-freq = 1
sms-resend-retry = 3
"""
_FAKE_SMSC = """
group = smsc
smsc = fake
smsc-id = fake
port = {smsc}
our-host = 127.0.0.1
connect-allow-ip = "127.0.0.1"
"""
_SMPP_SMSC = """
group = smsc
smsc = smpp
smsc-id = smpp
host = 127.0.0.1
port = {smsc}
transceiver-mode = true
smsc-username = kannel
smsc-password = kpass
system-type = ""
enquire-link-interval = 30
reconnect-delay = 1
source-addr-ton = 5
source-addr-npi = 0
dest-addr-ton = 1
dest-addr-npi = 1
msg-id-type = 0x00
"""
_SMSBOX = """
group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
global-sender = 12345
log-file = "{run_dir}/smsbox.log"
log-level = 0
access-log = "{run_dir}/smsbox-access.log"

group = sendsms-user
username = {user}
password = {password}
user-allow-ip = "127.0.0.1"
max-messages = 3
concatenation = true

group = sms-service
keyword = default
{service}
omit-empty = true
max-messages = 0
"""


@dataclass
class KannelRun:
    run_dir: Path
    admin_port: int
    sendsms_port: int
    smsc_port: int
    link: str  # "fake" or "smpp"

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt"
        return httpx.get(url, params={"password": ADMIN_PASSWORD}, timeout=2).text

    def fakesmsc_output(self) -> str:
        return (self.run_dir / "fakesmsc.log").read_text(encoding="utf-8", errors="replace")


def start_kannel(daemons: Daemons, *, link: str = "fake", smsc_port: int | None = None,
                 mo_url: str | None = None) -> KannelRun:
    """``link="fake"``: bearerbox listens and fakesmsc connects. ``link="smpp"``: bearerbox connects to
    an SMSC already listening on ``smsc_port``. ``mo_url``: the sms-service ``get-url`` every MO (an SMS
    sent by a handset to us) is passed to, with Kannel's escapes (``%p`` sender, ``%a`` all text)."""
    run = KannelRun(daemons.run_dir, free_port(), free_port(), smsc_port or free_port(), link)
    smsbox_port = free_port()
    service = f'get-url = "{mo_url}"' if mo_url else 'text = "ok"'
    values = dict(admin=run.admin_port, admin_password=ADMIN_PASSWORD, smsbox=smsbox_port, run_dir=run.run_dir,
                  smsc=run.smsc_port, sendsms=run.sendsms_port, user=SENDSMS_USER, password=SENDSMS_PASSWORD,
                  service=service)
    conf = _CORE + (_FAKE_SMSC if link == "fake" else _SMPP_SMSC) + _SMSBOX
    (run.run_dir / "kannel.conf").write_text(conf.format(**values), encoding="utf-8")

    bearerbox = daemons.start([BEARERBOX, "-v", "1", "kannel.conf"], log_name="bearerbox.out")
    wait_for_port(run.admin_port, proc=bearerbox)
    if link == "fake":
        wait_for_port(run.smsc_port, proc=bearerbox)
        # -m 0: the fake SMSC sends no MO messages; it only prints what it receives ("Got message …").
        daemons.start([FAKESMSC, "-H", "127.0.0.1", "-r", str(run.smsc_port), "-m", "0", "1 2 text unused"],
                      log_name="fakesmsc.log")
    smsbox = daemons.start([SMSBOX, "-v", "1", "kannel.conf"], log_name="smsbox.out")
    wait_for_port(run.sendsms_port, proc=smsbox)

    def ready() -> bool:
        text = run.status()
        online = f"{link}[{link}]" in text and "(online" in text
        boxes = text.split("Box connections:", 1)[-1]
        return online and any(line.strip().startswith("smsbox") for line in boxes.splitlines())

    wait_until(ready, timeout=15, what="Kannel SMSC link online and smsbox connected")
    return run


def send_mo(daemons: Daemons, run: KannelRun, sender: str, receiver: str, text: str) -> None:
    """A handset's SMS to us: the listening fakesmsc is replaced by one that sends one MO message
    (``fakesmsc -m 1 "<from> <to> text <text>"``) and then keeps printing what it receives."""
    for proc in [p for p in daemons.procs if p.args and p.args[0] == FAKESMSC and p.poll() is None]:
        daemons.stop(proc)
    daemons.start([FAKESMSC, "-H", "127.0.0.1", "-r", str(run.smsc_port), "-m", "1",
                   f"{sender} {receiver} text {text}"], log_name="fakesmsc-mo.log")


def stop_kannel_gracefully(daemons: Daemons) -> float:
    started = time.monotonic()
    daemons.stop_all()
    return time.monotonic() - started
