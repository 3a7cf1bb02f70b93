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


class ApiError(Exception):
    """A precise, person-readable refusal: HTTP status, machine code, Chinese message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _where(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "请求体"


def create_http_app(
    *, title: str, routers: list[APIRouter], lifespan: Any = None, description: str = ""
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    app.add_middleware(AuditMiddleware)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message, **exc.extra}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _where(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()[:20]]
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
