"""Who is calling: bearer tokens per person or unit system (stored hashed), roles in one place.

Every HTTP route except health, metrics and docs depends on ``Require(...)``; the dependency records the
principal on the request so the audit middleware can say who changed what.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer


class Role(StrEnum):
    duty_officer = "duty_officer"  # 值班人员
    duty_head = "duty_head"  # 值班室负责人
    shift_leader = "shift_leader"  # 带班领导
    secretary_general = "secretary_general"  # 秘书长 / 副秘书长
    leader = "leader"  # 市领导
    unit_system = "unit_system"  # 报送单位系统
    admin = "admin"  # 系统管理员


ROLE_NAMES = {
    Role.duty_officer: "值班人员",
    Role.duty_head: "值班室负责人",
    Role.shift_leader: "带班领导",
    Role.secretary_general: "秘书长",
    Role.leader: "市领导",
    Role.unit_system: "报送单位系统",
    Role.admin: "系统管理员",
}

# who may read the duty room's working data
STAFF = (Role.duty_officer, Role.duty_head, Role.shift_leader, Role.secretary_general, Role.admin)
REVIEWERS = (Role.duty_head, Role.shift_leader, Role.admin)


@dataclass(frozen=True)
class Principal:
    id: str
    name: str
    roles: frozenset[Role]
    system: str | None = None  # for unit systems: the source.system they may report as

    def has_any(self, roles: tuple[Role, ...] | frozenset[Role]) -> bool:
        return bool(self.roles & set(roles))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class UserRegistry:
    """Token hash → principal. Only hashes are kept; a token is shown once, when it is issued."""

    _by_hash: dict[str, Principal] = field(default_factory=dict)

    def issue(self, *, id: str, name: str, roles: list[Role] | list[str], system: str | None = None) -> str:
        token = "zb_" + secrets.token_urlsafe(24)
        self.add_hashed(hash_token(token), Principal(id, name, frozenset(Role(r) for r in roles), system))
        return token

    def add_hashed(self, token_sha256: str, principal: Principal) -> None:
        self._by_hash[token_sha256] = principal

    def verify(self, token: str) -> Principal | None:
        digest = hash_token(token)
        for known, principal in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return principal
        return None

    def records(self) -> list[dict[str, Any]]:
        return [
            {"id": p.id, "name": p.name, "roles": sorted(p.roles), "system": p.system, "token_sha256": h}
            for h, p in self._by_hash.items()
        ]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.records(), ensure_ascii=False, indent=1), encoding="utf-8")
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path | None) -> UserRegistry:
        registry = cls()
        if path is None or not path.exists():
            return registry
        for rec in json.loads(path.read_text(encoding="utf-8")):
            registry.add_hashed(
                rec["token_sha256"],
                Principal(rec["id"], rec["name"], frozenset(Role(r) for r in rec["roles"]), rec.get("system")),
            )
        return registry


_bearer = HTTPBearer(auto_error=False, description="Bearer token of a person or a unit system")


class Require:
    """FastAPI dependency: an authenticated caller holding at least one of ``roles`` (any role if empty)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = tuple(roles)

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or not credentials.credentials:
            raise HTTPException(
                401,
                detail={"code": "unauthenticated", "message": "未提供身份凭证：请在 Authorization 头中携带 Bearer 令牌"},
                headers={"WWW-Authenticate": "Bearer"},
            )
        registry: UserRegistry = request.app.state.users
        principal = registry.verify(credentials.credentials)
        if principal is None:
            raise HTTPException(
                401,
                detail={"code": "invalid_token", "message": "身份凭证无效或已停用"},
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.state.principal = principal
        if self.roles and not principal.has_any(self.roles):
            needed = "、".join(ROLE_NAMES[r] for r in self.roles)
            raise HTTPException(
                403, detail={"code": "forbidden", "message": f"权限不足：此操作需要以下角色之一：{needed}"}
            )
        return principal


def whoami_router() -> APIRouter:
    """``GET /api/v1/me``: who this token belongs to, for a client (the console) to greet the person and offer
    only what their roles allow. Any valid token; the routes themselves still check the roles."""
    router = APIRouter(prefix="/api/v1", tags=["auth"])

    @router.get("/me", summary="当前令牌所属的人员或系统及其角色")
    async def me(who: Annotated[Principal, Depends(Require())]) -> dict[str, Any]:
        roles = sorted(who.roles)
        return {"id": who.id, "name": who.name, "roles": roles, "role_names": [ROLE_NAMES[r] for r in roles],
                "system": who.system}

    return router
