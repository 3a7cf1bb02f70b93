"""Who is calling: every HTTP route but health, metrics and docs refuses an unauthenticated caller (401)
and a caller without one of its roles (403), with a clear Chinese message; state changes are audited."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from shared.auth import Require, Role
from tests.helpers import sample_report
from tests.service.conftest import System

OPEN = {"/health", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# gateways (Kannel's dlr-url, HylaFAX's job webhook, MO SMS, keypresses) cannot send a bearer token: a per-gateway secret in the URL;
# an acknowledgement link carries its own signed token. Each must refuse a caller without them.
OWN_CREDENTIALS = {"/api/v1/notify/dlr", "/api/v1/notify/fax", "/api/v1/notify/mo", "/api/v1/notify/keypress", "/api/v1/notify/ack/{token}"}
DEMO_ROLES = {
    "duty_officer": Role.duty_officer,
    "duty_head": Role.duty_head,
    "secretary_general": Role.secretary_general,
    "leader": Role.leader,
    "admin": Role.admin,
    "unit_system": Role.unit_system,
}


def protected_routes(system: System) -> list[tuple[str, str, tuple[Role, ...]]]:
    routes = []
    every = [r for c in system.runtime.components for r in c.http_router.routes] + list(system.app.routes)
    for route in every:
        if not isinstance(route, APIRoute) or route.path in OPEN | OWN_CREDENTIALS:
            continue
        requires = [d.call for d in route.dependant.dependencies if isinstance(d.call, Require)]
        assert requires, f"{route.path} has no Require(...) dependency"
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        for method in route.methods:
            routes.append((method, path, requires[0].roles))
    return routes


async def test_there_are_routes_to_check(system: System) -> None:
    assert len(protected_routes(system)) >= 8


async def test_every_route_refuses_a_caller_without_a_token(system: System) -> None:
    for method, path, _ in protected_routes(system):
        r = await system.client.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.json()["detail"]["code"] == "unauthenticated"
        assert "身份凭证" in r.json()["detail"]["message"]


async def test_gateway_callbacks_refuse_a_caller_without_their_secret(system: System) -> None:
    for path in OWN_CREDENTIALS:
        concrete = path.replace("{token}", "forged-token")
        for query in ("", "?gw=kannel&secret=wrong"):
            r = await system.client.get(concrete + query)
            assert r.status_code == 401, (path, query, r.status_code, r.text)


async def test_every_route_refuses_a_forged_token(system: System) -> None:
    for method, path, _ in protected_routes(system):
        r = await system.client.request(method, path, json={}, headers={"Authorization": "Bearer zb_forged"})
        assert r.status_code == 401, (method, path)
        assert r.json()["detail"]["code"] == "invalid_token"


async def test_every_route_refuses_a_role_it_does_not_admit(system: System) -> None:
    checked = 0
    for method, path, roles in protected_routes(system):
        outsiders = [name for name, role in DEMO_ROLES.items() if roles and role not in roles]
        for name in outsiders:
            r = await system.client.request(method, path, json={}, headers=system.auth(name))
            assert r.status_code == 403, (method, path, name, r.status_code, r.text)
            assert "权限不足" in r.json()["detail"]["message"]
            checked += 1
    assert checked > 0


async def test_a_unit_system_cannot_report_as_another_system(system: System) -> None:
    r = await system.client.post("/api/v1/reports", json=sample_report(system="other-system"),
                                 headers=system.auth("unit_system"))
    assert r.status_code == 403
    assert r.json()["code"] == "spoofed"


async def test_state_changes_are_audited_with_who_and_what(system: System) -> None:
    r = await system.client.post("/api/v1/reports", json=sample_report(report_id="AUD-1"),
                                 headers=system.auth("unit_system"))
    assert r.status_code == 201
    await system.client.post("/api/v1/reports", json={}, headers=system.auth("duty_officer"))
    entries = await system.app.state.audit.recent(limit=10)
    assert [(e["who"], e["target"], e["outcome"]) for e in entries[:2]] == [
        ("p-duty-1", "/api/v1/reports", "422"),
        ("sys-wuming", "/api/v1/reports", "201"),
    ]
