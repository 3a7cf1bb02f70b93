"""The HTTP shell every service shares: health, metrics, one error shape ({code, message}), audit."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from shared.audit import AuditMiddleware
from shared.validation_zh import message_zh


class ApiError(Exception):
    """A precise, person-readable refusal: HTTP status, machine code, Chinese message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _where(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "请求体"


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` (413, Chinese message) before any of it is parsed, whether
    the client declared a Content-Length or streams chunks."""

    def __init__(self, app: Any, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, int(declared))
            return
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send, seen)

    async def _refuse(self, scope: Any, receive: Any, send: Any, size: int) -> None:
        response = JSONResponse(
            {"code": "body_too_large", "message": f"请求体过大：超过上限 {self.max_bytes} 字节（已收到 {size} 字节）"},
            status_code=413,
        )
        await response(scope, receive, send)


def create_http_app(
    *, title: str, routers: list[APIRouter], lifespan: Any = None, description: str = "",
    max_body_bytes: int = 20 * 1024 * 1024,
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message, **exc.extra}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _where(e["loc"]), "message": message_zh(e), "type": e["type"], "detail": e["msg"]}
                  for e in exc.errors()[:20]]
        message = "请求内容不符合要求：" + "；".join(f"字段 {e['field']}：{e['message']}" for e in errors[:5])
        return JSONResponse({"code": "invalid_request", "message": message, "errors": errors}, status_code=422)

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app


LifespanFactory = Any
AsyncCM = AbstractAsyncContextManager[None]
