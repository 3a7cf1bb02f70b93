"""Upward bulletin (R-13) and late/missed reporting statistics (R-14, R-15) use cases."""

from __future__ import annotations

import io
from typing import Any

from services.escalation.domain import lateness, statistics
from services.escalation.domain.bulletin import BulletinFacts, compose, load_template
from services.escalation.errors import ConflictError
from services.escalation.render import render_docx, render_pdf
from services.escalation.service_routing import short_id
from shared.clock import as_utc
from shared.contracts import SendNotification
from shared.contracts.events import NotifyChannel
from shared.topology import NOTIFY_SEND


class BulletinError(ValueError):
    pass


class ReportingUseCases:
    async def draft_bulletin(self: Any, incident_id: str, *, signer: str, what_happened: str, by: str,
                             **extra: Any) -> dict[str, Any]:
        doc = await self.store.get(incident_id)
        if doc is None:
            raise LookupError(f"事件不存在或尚未处理：{incident_id}")
        facts = doc["facts"]
        n = await self.store.count_bulletins() + 1
        occurred = doc.get("occurred_at")
        bf = BulletinFacts(
            incident_id=incident_id, issue_no=n, follow_up_no=max(0, len(doc.get("stages", [])) - 1),
            signer=signer, issued_at=self.clock.now(), received_at=as_utc(doc["received_at"]),
            source_unit=doc["unit"], received_via="network", occurred_at=as_utc(occurred) if occurred else None,
            place=doc.get("place") or "", event=extra.get("event") or doc["title"], what_happened=what_happened,
            deaths=facts.get("deaths"), missing=facts.get("missing"), injuries=facts.get("injuries"),
            trapped=facts.get("trapped"), economic_loss_cny=facts.get("economic_loss_cny"),
            response=extra.get("response") or doc.get("measures", ""), to=("省人民政府总值班室",),
        )
        bulletin = compose(bf, load_template())
        record = {"_id": f"{incident_id}-B{n}", "incident_id": incident_id, "state": "draft", "by": by,
                  "created_at": self.clock.now(), "revision": doc["revision"], "text": bulletin.plain_text(),
                  "facts": {k: v for k, v in bf.__dict__.items() if not isinstance(v, tuple)}}
        await self.store.put_bulletin(record)
        await self.store.add_timeline(incident_id, self._entry(f"bulletin:{record['_id']}:draft", "bulletin",
                                                              f"拟制直报信息 {record['_id']}（{by}）"))
        return record

    async def approve_bulletin(self: Any, bulletin_id: str, *, by: str) -> dict[str, Any]:
        """Approved by the secretary-general, then handed to notify for fax to the provincial duty office."""
        record = await self.store.get_bulletin(bulletin_id)
        if record is None:
            raise LookupError(f"直报信息不存在：{bulletin_id}")
        if record["state"] != "draft":
            raise BulletinError(f"直报信息 {bulletin_id} 已{record['state']}，不能重复审批")
        doc = await self.store.get(record["incident_id"])
        if doc is not None and doc["revision"] != record["revision"]:
            raise ConflictError(f"事件在拟制直报信息后已更新（拟稿依据第{record['revision']}版，当前第{doc['revision']}版），"
                                f"直报信息 {bulletin_id} 不能签批：请依据最新事实重新拟制")
        now = self.clock.now()
        if not await self.store.set_bulletin(bulletin_id, "draft", {"state": "approved", "approved_by": by,
                                                                   "approved_at": now}):
            raise BulletinError(f"直报信息 {bulletin_id} 已被他人处理")
        nid = f"{bulletin_id}_fax"
        await self.outbox.add(f"{NOTIFY_SEND}:{nid}", NOTIFY_SEND, SendNotification(
            notification_id=nid, person_id=self.rules.upward.addressee,
            channels=[NotifyChannel(c) for c in self.rules.upward.channels],
            subject="突发公共事件直报信息", body=record["text"][:10000], incident_id=record["incident_id"],
            requested_at=now))
        await self.store.add_timeline(record["incident_id"], self._entry(
            f"bulletin:{bulletin_id}:approved", "bulletin", f"直报信息 {bulletin_id} 经{by}签批，报{self.rules.upward.name}",
            notification_id=nid, purpose="upward"))
        out = await self.store.get_bulletin(bulletin_id)
        assert out is not None
        return out

    async def render_bulletin(self: Any, bulletin_id: str, fmt: str) -> bytes:
        record = await self.store.get_bulletin(bulletin_id)
        if record is None:
            raise LookupError(f"直报信息不存在：{bulletin_id}")
        f = record["facts"]
        bf = BulletinFacts(**{**f, "issued_at": as_utc(f["issued_at"]), "received_at": as_utc(f["received_at"]),
                              "occurred_at": as_utc(f["occurred_at"]) if f.get("occurred_at") else None,
                              "to": ("省人民政府总值班室",)})
        bulletin = compose(bf, load_template())
        return render_pdf(bulletin) if fmt == "pdf" else render_docx(bulletin)

    async def report_upward(self: Any, incident_id: str, *, by: str, text: str) -> dict[str, Any]:
        """An officer's own report to the provincial duty office — for incidents below 较大 only; from 较大 up the
        approved bulletin is the one way up (R-13), and this is refused with nothing sent (UpwardRefused)."""
        doc = await self._current(incident_id, None)
        up = self.rules.upward
        nid = f"{incident_id}_up_{short_id(by, text)}"
        await self._send(doc, notification_id=nid, person=up.addressee, channels=list(up.channels), purpose="upward",
                         text=f"{by} 向{up.name}报告（{doc.get('level')}级）", subject=f"值班信息：{doc['title']}"[:200],
                         body=text)
        return await self._current(incident_id, None)

    # ------------------------------------------------------------------
    async def timeliness(self: Any) -> list[dict[str, Any]]:
        rows = lateness.unit_timeliness([self._lateness_row(d) for d in await self.store.all_incidents()], self.rules)
        return [{**r.__dict__, "late_by_minutes": r.late_by_minutes} for r in rows]

    def _lateness_row(self: Any, d: dict[str, Any]) -> dict[str, Any]:
        return {"incident_id": d["_id"], "occurred_at": as_utc(d["occurred_at"]) if d.get("occurred_at") else None,
                "level": d.get("level"), "area_code": d.get("area_code"), "category": d["category"],
                "reports": [{"unit": r["unit"], "received_at": as_utc(r["received_at"])} for r in d.get("reports", [])]}

    async def missed(self: Any, unit_areas: dict[str, list[str]]) -> list[dict[str, Any]]:
        rows = [self._lateness_row(d) for d in await self.store.all_incidents()]
        return [c.__dict__ for c in lateness.missed_candidates(rows, unit_areas)]

    async def determine(self: Any, *, incident_id: str, unit: str, finding: str, reasoning: str, by: str,
                        role: str, evidence: list[str]) -> dict[str, Any]:
        d = lateness.determine(incident_id=incident_id, unit=unit, finding=finding, reasoning=reasoning,
                               decided_by=by, role=role, decided_at=self.clock.now(), evidence=evidence,
                               incident_exists=await self.store.exists(incident_id))
        doc = {"_id": f"{incident_id}:{unit}:{d.decided_at:%Y%m%dT%H%M%S}", **d.__dict__, "evidence": list(d.evidence)}
        await self.store.add_determination(doc)
        return doc

    async def statistics(self: Any, *, by: list[str], period: str) -> list[dict[str, Any]]:
        late = {(r["incident_id"]) for r in await self.timeliness() if r["late"]}
        rows = [{"occurred_at": as_utc(d["occurred_at"]) if d.get("occurred_at") else None, "level": d.get("level"),
                 "category": d["category"], "area_code": d.get("area_code"), "unit": d.get("unit"),
                 "late": d["_id"] in late, **{k: d["facts"].get(k) for k in statistics.SUMMED}}
                for d in await self.store.all_incidents()]
        return statistics.aggregate(rows, by=by, period=period)

    async def statistics_xlsx(self: Any, *, by: list[str], period: str) -> bytes:
        from openpyxl import Workbook

        groups = await self.statistics(by=by, period=period)
        wb = Workbook()
        ws = wb.active
        ws.title = "统计"
        head = [*by, "count", *statistics.SUMMED]
        ws.append(head)
        for g in groups:
            ws.append([str(g.get(h)) if h in by else g.get(h) for h in head])
        ws2 = wb.create_sheet("迟报")
        ws2.append(["事件", "单位", "首报时间", "时限（分钟）", "用时（分钟）", "迟报"])
        for r in await self.timeliness():
            ws2.append([r["incident_id"], r["unit"], r["first_report_at"].isoformat(), r["limit_minutes"],
                        r["elapsed_minutes"], "是" if r["late"] else "否"])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    async def draft_notice(self: Any) -> str:
        """A draft criticism notice (通报) for approval: the late reports found, in plain words."""
        late = [r for r in await self.timeliness() if r["late"]]
        if not late:
            return "经核查，本期各单位均按时限报送突发事件信息，予以通报表扬。"
        lines = [f"{r['unit']}（事件{r['incident_id']}）首报用时{r['elapsed_minutes']}分钟，超出时限{r['late_by_minutes']}分钟"
                 for r in late]
        return "关于突发事件信息迟报情况的通报（草稿，待审批）\n经核查，以下单位存在迟报情况：\n" + "\n".join(lines) + \
            "\n请上述单位认真整改，严格执行信息报送时限规定。"
