"""A private HylaFAX (faxq + hfaxd + two faxgettys) with two iaxmodem soft modems wired back to back.

Recipe: shared/gateways/GATEWAYS.md §2. Modem A sends (the only member of ModemGroup "any"), modem B
answers and writes what it received to ``<spool>/recvq/fax*.tif``. Everything runs from a private copy
of the spool in the test's run directory; the only machine-global things are ``/etc/iaxmodem/<name>``
(iaxmodem reads its config nowhere else) and the ``/dev/ttyIAX<name>`` links iaxmodem makes: both carry a
unique tag per run, and ``stop`` removes the config files. Fax tests must run one at a time.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from .harness import Daemons, free_port, require, wait_for_port, wait_until

IAXMODEM_ETC = Path("/etc/iaxmodem")
SYSTEM_SPOOL = Path("/var/spool/hylafax")
SYSTEM_ETC = Path("/etc/hylafax")
FAXQ, HFAXD, FAXGETTY = "/usr/sbin/faxq", "/usr/sbin/hfaxd", "/usr/sbin/faxgetty"

# Added to the iaxmodem prototype: identity, answer on the first ring, short requeue delays (defaults
# 180–300 s) and resets (startup 10 s → ~5 s).
_MODEM_EXTRAS = """
CountryCode: 86
AreaCode: 771
LongDistancePrefix: 0
InternationalPrefix: 00
DialStringRules: etc/dialrules
FAXNumber: {number}
LocalIdentifier: {ident}
RingsBeforeAnswer: 1
SessionTracing: 0x4F
JobReqBusy: 5
JobReqNoAnswer: 5
JobReqNoCarrier: 5
JobReqNoFCon: 5
JobReqError: 5
JobReqOther: 5
JobReqProto: 5
ModemResetDelay: 100
ModemSoftResetCmdDelay: 100
RecvFileMode: 0644
"""

# faxq runs ``bin/notify qfile why jobtime [nextTry]`` (cwd = spool) for NOTIFY=DONE+REQUEUE jobs: we turn it
# into the done/failed/requeued webhook notify's API understands (GET with the job's fields).
_WEBHOOK = """#!/bin/sh
qfile="$1"; why="$2"
url=$(cat etc/webhook_url 2>/dev/null) || exit 0
[ -n "$url" ] || exit 0
field() { sed -n "s/^$1://p" "$qfile" | head -n 1; }
curl -s -m 5 -G "$url" --data-urlencode "why=$why" --data-urlencode "jobid=$(field jobid)" \\
  --data-urlencode "jobtag=$(field jobtag)" --data-urlencode "npages=$(field npages)" \\
  --data-urlencode "totpages=$(field totpages)" --data-urlencode "status=$(field status)" >/dev/null 2>&1
exit 0
"""


def require_fax() -> None:
    require(FAXQ, HFAXD, FAXGETTY, "iaxmodem", "faxinfo", "tiffinfo", "faxmail", "curl")


@dataclass
class FaxRun:
    spool: Path
    hfaxd_port: int
    tag: str
    sender: str  # tty name of modem A (sends)
    receiver: str  # tty name of modem B (answers)
    sender_cid: str = "5550001"
    iax_configs: list[Path] = field(default_factory=list)

    def received(self) -> list[Path]:
        return sorted((self.spool / "recvq").glob("fax*.tif"))

    def faxinfo(self, tif: Path) -> dict[str, str]:
        out = subprocess.run(["faxinfo", str(tif)], capture_output=True, text=True, timeout=30, check=True).stdout
        return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()[1:]) if v}

    def set_webhook(self, url: str) -> None:
        path = self.spool / "etc" / "webhook_url"
        path.write_text(url + "\n", encoding="utf-8")
        shutil.chown(path, "uucp", "uucp")

    def modem_status(self, tty: str) -> str:
        path = self.spool / "status" / tty
        return path.read_text(errors="replace").strip() if path.exists() else ""

    def hylarc_home(self, root: Path) -> Path:
        """A HOME whose ``.hylarc`` points HylaFAX clients (faxmail) at this hfaxd; the system hyla.conf
        says ``Host: localhost`` on the default port and FAXSERVER does not override it."""
        root.mkdir(parents=True, exist_ok=True)
        (root / ".hylarc").write_text(f"Host: 127.0.0.1\nPort: {self.hfaxd_port}\nVerbose: No\n", encoding="utf-8")
        return root


def tiff_pages(tif: Path) -> int:
    """Pages (IFDs) in a TIFF as tiffinfo counts them."""
    out = subprocess.run(["tiffinfo", str(tif)], capture_output=True, text=True, timeout=30, check=True).stdout
    return len(re.findall(r"^TIFF Directory at offset", out, flags=re.MULTILINE))


def _iax_config(name: str, *, port: int, peer_port: int, cid_name: str, cid_number: str) -> str:
    return "\n".join([
        f"device /dev/ttyIAX{name}", "owner uucp:uucp", "mode 660", f"port {port}", "refresh 0",
        f"server 127.0.0.1:{peer_port}", f"peername {name}", f"secret {name}", f"cidname {cid_name}",
        f"cidnumber {cid_number}", "codec slinear", "",
    ])


def start_hylafax(daemons: Daemons) -> FaxRun:
    """Starts modems, faxq, hfaxd and both faxgettys; returns when both modems are "Running and idle"."""
    require_fax()
    if os.geteuid() != 0:
        raise RuntimeError("HylaFAX with iaxmodem needs root (/etc/iaxmodem, uucp-owned spool)")
    tag = "zb" + uuid.uuid4().hex[:6]
    run = FaxRun(spool=daemons.run_dir / "hylafax", hfaxd_port=free_port(), tag=tag,
                 sender=f"ttyIAX{tag}a", receiver=f"ttyIAX{tag}b")
    port_a, port_b = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    for name, port, peer, cid_name, cid in ((f"{tag}a", port_a, port_b, "NotifyA", run.sender_cid),
                                             (f"{tag}b", port_b, port_a, "NotifyB", "5550002")):
        path = IAXMODEM_ETC / name
        path.write_text(_iax_config(name, port=port, peer_port=peer, cid_name=cid_name, cid_number=cid),
                        encoding="utf-8")
        run.iax_configs.append(path)

    spool = run.spool
    shutil.copytree(SYSTEM_SPOOL, spool, symlinks=True)
    shutil.copytree(SYSTEM_ETC, spool / "etc", symlinks=True, dirs_exist_ok=True)
    hosts = spool / "etc" / "hosts.hfaxd"
    hosts.write_text("127.0.0.1\nlocalhost\n", encoding="utf-8")
    hosts.chmod(0o600)
    prototype = (SYSTEM_SPOOL / "config" / "iaxmodem").read_text(encoding="utf-8")
    for tty, number, ident in ((run.sender, run.sender_cid, "NotifyA"), (run.receiver, "5550002", "NotifyB")):
        extras = _MODEM_EXTRAS.format(number=number, ident=ident)
        (spool / "etc" / f"config.{tty}").write_text(prototype + extras, encoding="utf-8")
    with (spool / "etc" / "config").open("a", encoding="utf-8") as cfg:
        cfg.write(f'\nModemGroup: "any:^{run.sender}$"\n')  # jobs go out on A only; B is the far end
    notify = spool / "bin" / "notify"
    notify.unlink()
    notify.write_text(_WEBHOOK, encoding="utf-8")
    notify.chmod(0o755)
    subprocess.run(["chown", "-R", "uucp:uucp", str(spool)], check=True, timeout=30)

    for name in (f"{tag}a", f"{tag}b"):
        daemons.start(["iaxmodem", name], log_name=f"iaxmodem-{name}.log", cwd=spool)
    for tty in (run.sender, run.receiver):
        wait_until(lambda t=tty: Path(f"/dev/{t}").exists(), timeout=10, what=f"/dev/{tty}")
    faxq = daemons.start([FAXQ, "-D", "-q", str(spool)], log_name="faxq.log", cwd=spool)
    wait_until(lambda: (spool / "FIFO").exists() or faxq.poll() is not None, timeout=10, what="faxq FIFO")
    if faxq.poll() is not None:
        raise RuntimeError(f"faxq exited with {faxq.returncode}")
    # -l (listen address) must come before -i (port)
    hfaxd = daemons.start([HFAXD, "-d", "-q", str(spool), "-l", "127.0.0.1", "-i", str(run.hfaxd_port)],
                          log_name="hfaxd.log", cwd=spool)
    wait_for_port(run.hfaxd_port, proc=hfaxd)
    for tty in (run.sender, run.receiver):
        daemons.start([FAXGETTY, "-q", str(spool), tty], log_name=f"faxgetty-{tty}.log", cwd=spool)
    wait_until(lambda: all("Running and idle" in run.modem_status(t) for t in (run.sender, run.receiver)),
               timeout=30, what="both modems Running and idle")
    return run


def stop_hylafax(daemons: Daemons, run: FaxRun) -> None:
    daemons.stop_all()
    for path in run.iax_configs:
        path.unlink(missing_ok=True)


# -- what the receiving modem got, compared with what was sent ----------------------------------------

def render_pdf_page(pdf: bytes, *, out_dir: Path) -> Image.Image:
    """Page 1 of a PDF as ghostscript renders it at fax resolution (204 x 98 dpi), grey."""
    src, png = out_dir / "expected.pdf", out_dir / "expected.png"
    src.write_bytes(pdf)
    subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dFirstPage=1", "-dLastPage=1",
                    "-sDEVICE=pnggray", "-r204x98", f"-sOutputFile={png}", str(src)],
                   check=True, timeout=60, capture_output=True)
    return Image.open(png).convert("L")


def received_page(tif: Path) -> Image.Image:
    """Page 1 of a received fax (CCITT G4 TIFF, min-is-white), grey."""
    return Image.open(tif).convert("L")


def ink_similarity(a: Image.Image, b: Image.Image, *, size: tuple[int, int] = (480, 160)) -> float:
    """Pearson correlation of the two pages' ink, each cropped to its inked box and scaled to one size.

    The receiving fax machine chops blank paper and the sender's renderer may shift the page a little,
    so pixels are compared after both are cropped to their ink; the same page scores near 1, a page
    with other text far lower (the test checks both)."""
    def ink(img: Image.Image) -> list[float]:
        inverted = ImageOps.invert(img.convert("L"))
        box = inverted.getbbox()
        if box is None:
            return [0.0] * (size[0] * size[1])
        scaled = inverted.crop(box).resize(size, Image.Resampling.BOX)
        return [float(v) for v in scaled.tobytes()]  # mode L: one byte per pixel

    xs, ys = ink(a), ink(b)
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = sum((x - mx) ** 2 for x in xs)
    vy = sum((y - my) ** 2 for y in ys)
    return cov / ((vx * vy) ** 0.5) if vx and vy else 0.0
