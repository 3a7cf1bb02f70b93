"""The web console in real headless Chromium against the embedded system: sign-in, telephone report entry with
the API's field errors, fax entry with its scanned original (and the original opened from the incident), the
incident list with missing elements, and the duty-room head's review on the timeline — including the approval of
a version that changed meanwhile. Assertions are on visible text."""

from __future__ import annotations

import re
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips with the reason (fails under REQUIRE_BROWSER=1)
    pass

from tests.e2e.conftest import LiveSystem
from tests.helpers import sample_report

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN_KEY = "zhiban.console.token"

pytestmark = pytest.mark.e2e


def sign_in(page: Page, system: LiveSystem, role: str) -> None:
    page.goto(system.console)
    page.get_by_label("访问令牌").fill(system.tokens[role])
    page.get_by_role("button", name="登录").click()


def graded(system: LiveSystem, incident_id: str, *, timeout: float = 30.0) -> dict[str, Any]:
    """Escalation's view of the incident once it has graded it (the bus runs in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = system.api("GET", f"/api/v1/escalation/incidents/{incident_id}", "duty_officer")
        if r.status_code == 200:
            return dict(r.json())
        time.sleep(0.1)
    raise AssertionError(f"escalation never graded {incident_id}")


def tiny_png() -> bytes:
    """A valid 1×1 grey PNG: signature, IHDR, IDAT, IEND, each chunk with its CRC."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
            + chunk(b"IEND", b""))


def fill_written_report(page: Page, channel: str) -> None:
    """The entry form as an officer fills it for a fax or telegram, all but the scanned original."""
    page.get_by_role("button", name="电话/传真/电报接报录入").click()
    page.get_by_label("接报方式").select_option(label=channel)
    page.get_by_label("回拨电话").fill("0771-8221234")
    page.get_by_label("报告单位").fill("宾阳县人民政府办公室")
    page.get_by_label("行政区划代码").fill("450126")
    page.get_by_label("事件类别").select_option(label="地质灾害")
    page.get_by_label("标题").fill("宾阳县某村发生山体滑坡")
    page.get_by_label("来文内容").fill("传真称今晨6时许某村后山发生山体滑坡，掩埋民房2间，暂无人员伤亡。")


def test_a_wrong_token_is_refused_in_chinese_and_kept_nowhere(page: Page, live_system: LiveSystem) -> None:
    page.goto(live_system.console)
    page.get_by_label("访问令牌").fill("zb_not-a-real-token")
    page.get_by_role("button", name="登录").click()

    expect(page.locator("#signin-error")).to_have_text("登录失败：身份凭证无效或已停用。请核对令牌后重试。")
    expect(page.get_by_role("button", name="事件列表")).to_be_hidden()
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    assert "zb_" not in page.url


def test_a_unit_system_token_signs_in_but_is_told_it_may_not_read_incidents(
    page: Page, live_system: LiveSystem,
) -> None:
    sign_in(page, live_system, "unit_system")

    expect(page.locator("#who-name")).to_have_text("武鸣区应急管理局系统（报送单位系统）")
    expect(page.locator("#list-status")).to_contain_text("事件列表载入失败：权限不足")


def test_officer_enters_a_phone_report_and_the_head_approves_it(page: Page, live_system: LiveSystem) -> None:
    # the duty officer signs in; the token lives in this tab's sessionStorage, never in the address
    sign_in(page, live_system, "duty_officer")
    expect(page.locator("#who-name")).to_have_text("李明（值班人员）")
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == live_system.tokens["duty_officer"]
    assert page.evaluate("localStorage.length") == 0
    assert "zb_" not in page.url

    # a telephone report, first with a callback number too short and an area code that does not exist
    page.get_by_role("button", name="电话/传真/电报接报录入").click()
    expect(page.locator("#recording-officer")).to_have_text("李明")
    occurred = (datetime.now(SHANGHAI) - timedelta(days=1)).replace(hour=9, minute=40, second=0, microsecond=0)
    page.get_by_label("回拨电话").fill("07")
    page.get_by_label("报告人").fill("黄志强")
    page.get_by_label("报告单位").fill("武鸣区应急管理局")
    page.get_by_label("事发时间（北京时间）").fill(occurred.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("行政区划代码").fill("999999")
    page.get_by_label("事件类别").select_option(label="生产安全事故")
    page.get_by_label("标题").fill("武鸣区某化工厂发生爆炸事故")
    page.get_by_label("来电内容").fill("来电称9时40分许城厢镇某化工厂车间爆炸，已有3人死亡。")
    page.get_by_label("死亡").fill("3")
    submit = page.get_by_role("button", name="提交接报")

    submit.click()
    expect(page.locator('.field[data-field="callback_number"] .field-error')).to_have_text("回拨电话过短")
    expect(page.locator("#entry-error")).to_have_text("提交未成功，请按提示修改后重新提交。")

    page.get_by_label("回拨电话").fill("0771-6221234")
    submit.click()
    expect(page.locator('.field[data-field="area_code"] .field-error')).to_have_text(
        "行政区划代码 999999 不存在（GB/T 2260）")
    expect(page.locator('.field[data-field="callback_number"] .field-error')).to_have_count(0)

    page.get_by_label("行政区划代码").fill("450110")
    submit.click()
    result = page.locator("#entry-result")
    expect(result).to_contain_text("已接收（新建事件）：INC-")
    expect(result).to_contain_text("缺少要素：事发地点、伤亡情况（失踪、受伤、被困不详）、已采取措施")
    incident_id = re.search(r"INC-[0-9A-F-]+", result.inner_text()).group(0)  # type: ignore[union-attr]

    # what the API stored: a phone report recorded by the signed-in officer, the time read as Beijing time
    stored = live_system.api("GET", f"/api/v1/incidents/{incident_id}", "duty_officer").json()
    first = stored["reports"][0]
    assert (first["channel"], first["recorded_by"]["id"], first["callback_number"]) == (
        "phone", "p-duty-1", "0771-6221234")
    assert datetime.fromisoformat(stored["occurred_at"]) == occurred.astimezone(UTC)

    # the incident list shows it with its missing elements, the time in Beijing time (the browser is in New York)
    page.get_by_role("button", name="在事件列表中查看").click()
    row = page.locator(f'#incidents tr[data-id="{incident_id}"]')
    expect(row).to_contain_text("武鸣区某化工厂发生爆炸事故")
    expect(row).to_contain_text("缺少要素：事发地点、伤亡情况（失踪、受伤、被困不详）、已采取措施")
    expect(row).to_contain_text("生产安全事故")
    opened = datetime.fromisoformat(stored["opened_at"]).astimezone(SHANGHAI)
    expect(row).to_contain_text(opened.strftime("%Y-%m-%d %H:%M"))
    graded(live_system, incident_id)

    # the officer sees the level and the review state, but no review buttons
    row.get_by_role("button", name="武鸣区某化工厂发生爆炸事故").click()
    expect(page.locator("#d-level")).to_have_text("III级（较大）")
    expect(page.locator("#d-review")).to_contain_text("待审核")
    expect(page.get_by_role("button", name="审核通过")).to_be_hidden()

    # the duty-room head signs in, opens it and approves it
    page.get_by_role("button", name="退出登录").click()
    expect(page.locator("#signin-error")).to_have_text("已退出登录。")
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    sign_in(page, live_system, "duty_head")
    expect(page.locator("#who-name")).to_have_text("陈建国（值班室负责人）")
    page.locator(f'#incidents tr[data-id="{incident_id}"]').get_by_role("button").click()
    expect(page.locator("#d-review")).to_contain_text("待审核（等级为较大")
    expect(page.locator("#d-reasons")).to_have_text("死亡 3 ≥ 3（较大）")
    page.get_by_label("审核意见（退回时必填）").fill("情况属实，同意报送")
    page.get_by_role("button", name="审核通过").click()

    expect(page.locator("#review-done")).to_have_text("已审核通过。")
    expect(page.locator("#d-review")).to_have_text("已审核")
    expect(page.locator("#timeline")).to_contain_text("审核状态：已审核（p-head，情况属实，同意报送）")
    expect(page.get_by_role("button", name="审核通过")).to_be_hidden()


def test_an_approval_of_a_version_that_changed_meanwhile_is_refused_and_shown(
    page: Page, live_system: LiveSystem,
) -> None:
    r = live_system.api("POST", "/api/v1/reports", "unit_system", json=sample_report(report_id="E2E-STALE-1"))
    assert r.status_code == 201, r.text
    incident_id = r.json()["incident_id"]
    assert graded(live_system, incident_id)["revision"] == 0

    sign_in(page, live_system, "duty_head")
    page.locator(f'#incidents tr[data-id="{incident_id}"]').get_by_role("button").click()
    expect(page.locator("#d-revision")).to_have_text("第 0 版")

    # meanwhile an officer confirms the level: the incident moves to version 1 under the head's eyes
    r = live_system.api("POST", f"/api/v1/escalation/incidents/{incident_id}/level", "duty_officer",
                        json={"action": "confirm", "shown_revision": 0, "reason": "核实无误"})
    assert r.status_code == 200 and r.json()["revision"] == 1, r.text

    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#review-error")).to_have_text(
        "审核未成功：事件已在您查看后更新（您看到第0版，当前第1版），请重新查看后再审核")
    expect(page.locator("#d-review")).to_contain_text("待审核")

    page.get_by_role("button", name="刷新").click()
    expect(page.locator("#d-revision")).to_have_text("第 1 版")
    expect(page.locator("#timeline")).to_contain_text("p-duty-1 确认等级：III级")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#review-done")).to_have_text("已审核通过。")
    expect(page.locator("#d-review")).to_have_text("已审核")


def test_a_fax_without_its_original_or_with_a_file_that_is_no_scan_is_refused_at_the_file_field(
    page: Page, live_system: LiveSystem,
) -> None:
    sign_in(page, live_system, "duty_officer")
    page.get_by_role("button", name="电话/传真/电报接报录入").click()
    original = page.get_by_label("扫描原件")
    expect(original).to_be_hidden()  # a phone report has no original
    fill_written_report(page, "传真")
    expect(original).to_be_visible()
    submit = page.get_by_role("button", name="提交接报")
    field_error = page.locator('.field[data-field="original"] .field-error')

    submit.click()
    expect(field_error).to_have_text("传真报告须附扫描原件")
    expect(page.locator("#entry-error")).to_have_text("提交未成功，请按提示修改后重新提交。")

    # a text file renamed .png: intake reads the content, not the name or the browser's type
    original.set_input_files({"name": "fax.png", "mimeType": "image/png", "buffer": "这不是扫描件".encode()})
    submit.click()
    expect(field_error).to_have_text("原件须为PDF、TIFF、PNG或JPEG扫描件（按文件内容识别）")
    expect(page.locator("#entry-error")).to_have_text("提交未成功，请按提示修改后重新提交。")
    assert live_system.api("GET", "/api/v1/incidents", "duty_officer").json()["total"] == 0

    # back to a phone report: the file field goes away with its message, and the report is accepted without it
    page.get_by_label("接报方式").select_option(label="电话")
    expect(original).to_be_hidden()
    expect(field_error).to_have_count(0)
    page.get_by_label("来电内容").fill("来电称今晨6时许某村后山发生山体滑坡，掩埋民房2间，暂无人员伤亡。")
    submit.click()
    expect(page.locator("#entry-result")).to_contain_text("已接收（新建事件）：INC-")
    [item] = live_system.api("GET", "/api/v1/incidents", "duty_officer").json()["items"]
    detail = live_system.api("GET", f"/api/v1/incidents/{item['id']}", "duty_officer").json()
    assert [(r["channel"], r["original"]) for r in detail["reports"]] == [("phone", None)]


def test_officer_enters_a_fax_with_its_scan_and_opens_the_original_from_the_incident(
    page: Page, live_system: LiveSystem,
) -> None:
    png = tiny_png()
    sign_in(page, live_system, "duty_officer")
    fill_written_report(page, "传真")
    page.get_by_label("扫描原件").set_input_files({"name": "传真件.png", "mimeType": "image/png", "buffer": png})
    page.get_by_role("button", name="提交接报").click()

    result = page.locator("#entry-result")
    expect(result).to_contain_text("已接收（新建事件）：INC-")
    incident_id = re.search(r"INC-[0-9A-F-]+", result.inner_text()).group(0)  # type: ignore[union-attr]
    expect(page.get_by_label("接报方式")).to_have_value("phone")  # the form is ready for the next call
    expect(page.get_by_label("扫描原件")).to_be_hidden()
    [stored] = live_system.api("GET", f"/api/v1/incidents/{incident_id}", "duty_officer").json()["reports"]
    assert (stored["channel"], stored["recorded_by"]["id"]) == ("fax", "p-duty-1")
    assert stored["original"].startswith("scan:")

    page.get_by_role("button", name="在事件列表中查看").click()
    page.locator(f'#incidents tr[data-id="{incident_id}"]').get_by_role("button").click()
    report = page.locator("#reports li")
    expect(report).to_have_count(1)
    expect(report).to_contain_text("首报 · 传真 · 宾阳县人民政府办公室 · 录入：李明：宾阳县某村发生山体滑坡")

    with page.context.expect_page() as opening:
        report.get_by_role("button", name="查看原件").click()
    scan = opening.value
    scan.wait_for_load_state()
    assert scan.url.startswith(f"blob:{live_system.base_url}/")
    assert live_system.tokens["duty_officer"] not in scan.url
    shown = scan.evaluate("""async () => {
        const r = await fetch(location.href);
        return { type: r.headers.get("content-type"), bytes: Array.from(new Uint8Array(await r.arrayBuffer())) };
    }""")
    assert shown["type"] == "image/png"
    assert bytes(shown["bytes"]) == png
    expect(report.get_by_role("link", name="原件已载入，点此打开")).to_be_visible()
