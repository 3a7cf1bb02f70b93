"""Real fax, modem to modem: a private HylaFAX with two iaxmodem soft modems wired back to back
(GATEWAYS.md §2). Notify's HylaFAX adapter submits over hfaxd's client protocol and follows the job; the
receiving modem's TIFF must hold the page that was sent. Fax tests run one at a time (machine-global
/etc/iaxmodem and /dev/ttyIAX*); each run has its own tag and ports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from services.notify import service_steps as steps
from services.notify.gateways.base import OutboundMessage, id_to_token
from services.notify.gateways.emailfax import EmailFaxConfig, EmailFaxGateway
from services.notify.gateways.hylafax import FaxJobStatus, HylafaxConfig, HylafaxGateway
from shared.contracts.events import NotifyChannel

from .faxmail_env import FaxmailOfframp, running_offramp
from .harness import CallbackServer, Daemons, free_port, make_pdf, wait_until
from .hylafax_env import (
    FaxRun,
    ink_similarity,
    received_page,
    render_pdf_page,
    start_hylafax,
    stop_hylafax,
    tiff_pages,
)
from .notify_env import command, embedded_notify

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SECRET = "hylafax-secret-1"
NID = "传真/1"  # not URL-safe: travels as JOBINFO token x.<hex> and comes back as the webhook's jobtag


@pytest.fixture
def fax(daemons: Daemons) -> Iterator[FaxRun]:
    run = start_hylafax(daemons)
    try:
        yield run
    finally:
        stop_hylafax(daemons, run)


def _assert_one_page_from_modem_a(fax: FaxRun) -> Path:
    # the sender's DONE can come just before the receiving faxgetty has closed its file
    wait_until(lambda: fax.received() and "Running and idle" in fax.modem_status(fax.receiver), timeout=30,
               what="modem B to finish receiving")
    [tif] = fax.received()
    info = fax.faxinfo(tif)
    assert info["Sender"] == "NotifyA" and info["Pages"] == "1" and info["CallID1"] == fax.sender_cid, info
    assert tiff_pages(tif) == 1
    return tif


async def test_fax_through_notify_is_received_and_reported_delivered(fax: FaxRun, tmp_path: Path) -> None:
    """notify.send for a leader's fax: the cover PDF goes through hfaxd to modem A, modem B receives it;
    notify's state follows the job (sent → delivered) and HylaFAX's own done-webhook agrees."""
    async with CallbackServer() as hook, embedded_notify(
            tmp_path, gateways={"fax": ["hylafax"]}, hylafax_port=fax.hfaxd_port, hylafax_poll_s=1.0,
            receipt_secrets={"hylafax": SECRET}) as notify:
        fax.set_webhook(hook.url)
        state = await notify.svc.send(command(NID, "l-mayor", [NotifyChannel.fax]))
        assert state == "sent"
        doc = await notify.wait_state(NID, {"delivered", "failed_temporary", "failed_permanent"}, within=120)
        assert doc["state"] == "delivered", doc["history"]
        assert [h["state"] for h in doc["history"]] == ["pending", "sending", "sent", "delivered"]
        assert "DONE 1/1" in doc["history"][-1]["detail"]
        job_id = doc["gateway_message_id"]

        # the server's notify script: why=done with our id as the job tag, through notify's own route
        queries = await hook.wait_for(lambda qs: any("why=done" in q for q in qs), within=20)
        done = dict(parse_qsl(next(q for q in queries if "why=done" in q)))
        assert (done["jobid"], done["npages"], done["totpages"]) == (job_id, "1", "1")
        assert done["jobtag"] == id_to_token(NID) != NID
        reply = await notify.client.get("/api/v1/notify/fax", params={**done, "gw": "hylafax", "secret": SECRET})
        assert reply.json() == {"outcome": "stale"}  # already delivered by the poll: nothing moves twice
        assert (await notify.client.get("/api/v1/notify/fax", params=done)).status_code == 401

        sent_pdf = steps.outbound(notify.svc, doc, None, "fax").document_pdf  # the same cover, rebuilt
        assert sent_pdf is not None

    # refusals that never reach a modem: no PDF (permanent), hfaxd unreachable (transient)
    gateway = HylafaxGateway(HylafaxConfig("127.0.0.1", fax.hfaxd_port))
    refused = await gateway.send(OutboundMessage("n-2", "5551234", "x"))
    assert not refused.accepted and not refused.transient_error
    unreachable = await HylafaxGateway(HylafaxConfig("127.0.0.1", free_port())).send(
        OutboundMessage("n-3", "5551234", "x", document_pdf=sent_pdf))
    assert not unreachable.accepted and unreachable.transient_error

    tif = _assert_one_page_from_modem_a(fax)
    assert fax.faxinfo(tif)["CallID4"] == "07715550199"  # +86 771 5550199 dialled nationally (CountryCode 86)
    page = received_page(tif)
    page.save(tmp_path / "received.png")
    same = ink_similarity(page, render_pdf_page(sent_pdf, out_dir=tmp_path))
    other = ink_similarity(page, render_pdf_page(make_pdf("ZHIBAN DUTY OFFICE 17"), out_dir=tmp_path))
    print(f"ink similarity: sent cover {same:.3f}, another page {other:.3f}")
    assert same > 0.85 and other < 0.5, (same, other)


async def test_fax_by_email_through_faxmail_is_received(fax: FaxRun, tmp_path: Path) -> None:
    """notify's e-mail-to-fax adapter (RFC 3192) → SMTP → faxmail → hfaxd → modem A → modem B."""
    offramp = FaxmailOfframp(home=fax.hylarc_home(tmp_path / "home"))
    with running_offramp(offramp) as smtp_port:
        async with embedded_notify(tmp_path, gateways={"fax": ["emailfax"]}, smtp_port=smtp_port,
                                   fax_mail_domain="fax.localhost", fax_mail_from="notify@zhiban.localhost") as notify:
            state = await notify.svc.send(command("mailfax-1", "l-vm-safety", [NotifyChannel.fax]))
            doc = await notify.doc("mailfax-1")
            assert state == "sent", (doc["history"], offramp.failures)
            assert "request id is" in doc["history"][-1]["detail"]
            sent_pdf = steps.outbound(notify.svc, doc, None, "fax").document_pdf
            assert sent_pdf is not None

        [job_id] = offramp.jobs
        hfaxd = HylafaxGateway(HylafaxConfig("127.0.0.1", fax.hfaxd_port))
        status = await _until_final(hfaxd, job_id)
        assert status.state == "DONE" and (status.pages_sent, status.pages_total) == (1, 1), status

        # the offramp's own failure path: faxmail cannot reach a fax server → 451 → a transient failure
        broken = FaxmailOfframp(home=tmp_path / "nowhere")
        (tmp_path / "nowhere").mkdir()
        (tmp_path / "nowhere" / ".hylarc").write_text(f"Host: 127.0.0.1\nPort: {free_port()}\n")
        with running_offramp(broken) as broken_port:
            gateway = EmailFaxGateway(EmailFaxConfig("127.0.0.1", broken_port, gateway_domain="fax.localhost",
                                                     mail_from="notify@zhiban.localhost"))
            failed = await gateway.send(OutboundMessage("mailfax-2", "+867715550198", "x", document_pdf=sent_pdf))
        assert not failed.accepted and failed.transient_error and "451" in failed.detail
        assert broken.jobs == []

    tif = _assert_one_page_from_modem_a(fax)
    assert fax.faxinfo(tif)["CallID4"] == "07715550198"  # l-vm-safety's fax, from the RFC 3192 address
    page = received_page(tif)
    same = ink_similarity(page, render_pdf_page(sent_pdf, out_dir=tmp_path))
    other = ink_similarity(page, render_pdf_page(make_pdf("ZHIBAN DUTY OFFICE 17"), out_dir=tmp_path))
    print(f"ink similarity: sent cover {same:.3f}, another page {other:.3f}")
    assert same > 0.85 and other < 0.5, (same, other)


async def _until_final(gateway: HylafaxGateway, job_id: str, *, within: float = 120) -> FaxJobStatus:
    for _ in range(int(within)):
        status = await gateway.job_status(job_id)
        if status.state in ("DONE", "FAILED"):
            return status
        await asyncio.sleep(1)
    raise TimeoutError(f"fax job {job_id} still {status.state}")
