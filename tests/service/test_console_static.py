"""The embedded app serves the console at /console/ without a token (it holds no data), with the MIME types a
browser needs for JavaScript modules; the console learns who signed in from GET /api/v1/me."""

from __future__ import annotations

from tests.service.conftest import System


async def test_the_console_page_and_its_modules_are_served_without_a_token(system: System) -> None:
    page = await system.client.get("/console/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "值班台" in page.text and 'src="js/main.js"' in page.text

    for module in ("main", "api", "format", "dom", "list", "detail", "reports", "entry"):
        r = await system.client.get(f"/console/js/{module}.js")
        assert r.status_code == 200, module
        assert r.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript"), module
    catalogue = await system.client.get("/console/catalogue.json")
    assert catalogue.json()["levels"]["III"] == "较大"


async def test_the_console_without_its_slash_leads_to_it(system: System) -> None:
    r = await system.client.get("/console", follow_redirects=False)
    assert r.status_code in (301, 307, 308)
    assert r.headers["location"].endswith("/console/")


async def test_me_names_the_person_and_roles_of_the_token(system: System) -> None:
    r = await system.client.get("/api/v1/me", headers=system.auth("duty_head"))
    assert r.status_code == 200
    assert r.json() == {"id": "p-head", "name": "陈建国", "roles": ["duty_head"], "role_names": ["值班室负责人"],
                        "system": None}
    unit = (await system.client.get("/api/v1/me", headers=system.auth("unit_system"))).json()
    assert (unit["roles"], unit["system"]) == (["unit_system"], "wuming-yjj")


async def test_me_refuses_a_forged_token_in_chinese(system: System) -> None:
    r = await system.client.get("/api/v1/me", headers={"Authorization": "Bearer zb_forged"})
    assert r.status_code == 401
    assert r.json()["detail"]["message"] == "身份凭证无效或已停用"
