"""Spot checks of subordinate units (R-26): units, a reproducible random draw, results, summaries, 通报."""

from __future__ import annotations

import random
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.scheduling.api import PREFIX, Head, Officer, Staff, public
from services.scheduling.domain.spotcheck import (
    CheckMethod,
    CheckOutcome,
    CheckResult,
    Unit,
    draft_notice,
    select_units,
    summarize,
)
from services.scheduling.service import SchedulingService
from shared.clock import as_utc, to_local


class DrawBody(BaseModel):
    count: int = Field(ge=1, le=100)
    seed: int | None = None  # recorded, so that a draw can be reproduced


class ResultBody(BaseModel):
    unit_id: str
    method: CheckMethod
    outcome: CheckOutcome
    answered_by: str = ""
    answer_seconds: int | None = Field(default=None, ge=0)


def build_spotcheck_api(svc: SchedulingService) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["scheduling: spot checks"])
    store = svc.store

    async def units() -> list[Unit]:
        return [Unit.model_validate({**{k: v for k, v in d.items() if k != "_id"}, "unit_id": d["_id"]})
                for d in await store.all("units")]

    async def results() -> list[CheckResult]:
        return [CheckResult.model_validate({**{k: v for k, v in d.items() if k != "_id"}, "at": as_utc(d["at"])})
                for d in await store.all("spot_checks", sort="at")]

    @router.put("/units", summary="下级单位名单（抽查对象）")
    async def put_units(body: list[Unit], who: Head) -> dict[str, int]:
        for unit in body:
            await store.upsert("units", {"_id": unit.unit_id, **unit.model_dump(exclude={"unit_id"})})
        return {"units": len(body)}

    @router.post("/spot-checks/draw", summary="随机抽取被抽查单位（近期已抽查的排在后面）")
    async def draw(body: DrawBody, who: Officer) -> dict[str, Any]:
        seed = body.seed if body.seed is not None else random.SystemRandom().randrange(2**31)
        since = svc.clock.now().replace(day=1)
        recent = [r.unit_id for r in await results() if r.at >= since]
        picked = select_units(await units(), body.count, random.Random(seed), recent)
        return {"seed": seed, "units": [u.model_dump() for u in picked]}

    @router.post("/spot-checks", status_code=201, summary="记录抽查结果（接听人、接听用时、结果）")
    async def record(body: ResultBody, who: Officer) -> dict[str, Any]:
        result = CheckResult(**body.model_dump(), at=svc.clock.now(), checked_by=who.id)
        n = await store.spot_checks.count_documents({}) + 1
        doc = {"_id": f"check-{n}", **result.model_dump(mode="json"), "at": as_utc(result.at)}
        await store.spot_checks.insert_one(doc)
        return public(doc)

    @router.get("/spot-checks/summary", summary="按单位汇总及通报草稿")
    async def summary(who: Staff, period: str = "本月") -> dict[str, Any]:
        all_units, all_results = await units(), await results()
        return {"summaries": [s.model_dump() for s in summarize(all_units, all_results)],
                "notice_draft": draft_notice(all_units, all_results, period, to_local(svc.clock.now()).date())}

    return router
