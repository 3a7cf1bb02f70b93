"""The audit trail: every state-changing HTTP call (who, when, what, outcome), plus explicit records
for sensitive reads such as viewing a leader's unmasked phone number."""

from __future__ import annotations

from typing import Any

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from shared.clock import Clock

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


class AuditLog:
    def __init__(self, db: Any, *, clock: Clock) -> None:
        self.collection = db["audit"]
        self.clock = clock

    async def setup(self) -> None:
        await self.collection.create_index([("at", -1)])

    async def record(self, *, who: str | None, action: str, target: str, outcome: str, detail: Any = None) -> None:
        await self.collection.insert_one(
            {"at": self.clock.now(), "who": who, "action": action, "target": target, "outcome": outcome,
             "detail": detail}
        )

    async def recent(self, *, limit: int = 100, who: str | None = None) -> list[dict[str, Any]]:
        query = {"who": who} if who else {}
        docs = await self.collection.find(query, {"_id": 0}).sort("at", -1).limit(limit).to_list(None)
        return list(docs)


class AuditMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.method in STATE_CHANGING:
            principal = getattr(request.state, "principal", None)
            audit: AuditLog = request.app.state.audit
            await audit.record(
                who=principal.id if principal else None,
                action=request.method,
                target=request.url.path,
                outcome=str(response.status_code),
            )
        return response
