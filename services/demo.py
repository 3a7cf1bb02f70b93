"""A small demo city (南宁市, Guangxi) for the embedded mode and drills: counties, leaders with their
domains, duty staff with (fictitious) contacts, and a roster around today."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from shared.auth import Role, UserRegistry
from shared.clock import SHANGHAI, Clock

COUNTIES = {
    "450102": "兴宁区",
    "450103": "青秀区",
    "450110": "武鸣区",
    "450126": "宾阳县",
    "450181": "横州市",
}

PEOPLE: list[dict[str, Any]] = [
    {"_id": "p-head", "name": "陈建国", "title": "值班室负责人", "group": "duty_room", "roles": ["duty_head"],
     "contacts": {"mobile": "13807710001", "office_phone": "0771-5550001"}},
    {"_id": "p-duty-1", "name": "李明", "title": "值班员", "group": "duty_room", "roles": ["duty_officer"],
     "contacts": {"mobile": "13807710011", "office_phone": "0771-5550011"}},
    {"_id": "p-duty-2", "name": "王芳", "title": "值班员", "group": "duty_room", "roles": ["duty_officer"],
     "contacts": {"mobile": "13807710012", "office_phone": "0771-5550012"}},
    {"_id": "p-duty-3", "name": "张伟", "title": "值班员", "group": "duty_room", "roles": ["duty_officer"],
     "contacts": {"mobile": "13807710013", "office_phone": "0771-5550013"}},
    {"_id": "p-duty-4", "name": "刘洋", "title": "值班员", "group": "duty_room", "roles": ["duty_officer"],
     "contacts": {"mobile": "13807710014", "office_phone": "0771-5550014"}},
    {"_id": "l-mayor", "name": "周市长", "title": "市长", "group": "leaders", "roles": ["leader"],
     "contacts": {"mobile": "13907710100", "office_phone": "0771-5550100", "fax": "0771-5550199"}},
    {"_id": "l-vm-safety", "name": "吴副市长", "title": "副市长（分管应急管理、安全生产、交通）", "group": "leaders",
     "roles": ["leader"], "contacts": {"mobile": "13907710101", "office_phone": "0771-5550101", "fax": "0771-5550198"}},
    {"_id": "l-vm-social", "name": "郑副市长", "title": "副市长（分管生态环境、卫生健康、公安）", "group": "leaders",
     "roles": ["leader"], "contacts": {"mobile": "13907710102", "office_phone": "0771-5550102", "fax": "0771-5550197"}},
    {"_id": "l-sg", "name": "孙秘书长", "title": "市政府秘书长", "group": "leaders", "roles": ["secretary_general"],
     "contacts": {"mobile": "13907710103", "office_phone": "0771-5550103"}},
]

LEADERS: list[dict[str, Any]] = [
    {"_id": "l-mayor", "domains": [], "principal": True, "away": []},
    {"_id": "l-vm-safety", "domains": ["production_safety", "fire", "road_traffic", "natural_disaster",
                                       "earthquake", "geological", "drowning"], "principal": False, "away": []},
    {"_id": "l-vm-social", "domains": ["environment", "public_health", "food_poisoning", "social_security",
                                       "mass_incident"], "principal": False, "away": []},
]


def roster_around(now: datetime, *, days: int = 3) -> list[dict[str, Any]]:
    """Day shift 08:00–18:00 and night shift 18:00–08:00 (Asia/Shanghai) from yesterday on."""
    today = now.astimezone(SHANGHAI).date()
    pairs = [("p-duty-1", "p-duty-2"), ("p-duty-3", "p-duty-4")]
    shifts = []
    for offset in range(-1, days - 1):
        day = today + timedelta(days=offset)
        start_day = datetime.combine(day, time(8), SHANGHAI).astimezone(UTC)
        start_night = datetime.combine(day, time(18), SHANGHAI).astimezone(UTC)
        shifts.append({"_id": f"{day:%Y%m%d}-day", "start": start_day, "end": start_night,
                       "officers": list(pairs[offset % 2]), "shift_leader": "p-head", "kind": "day"})
        shifts.append({"_id": f"{day:%Y%m%d}-night", "start": start_night, "end": start_day + timedelta(days=1),
                       "officers": [pairs[(offset + 1) % 2][0]], "shift_leader": "p-head", "kind": "night"})
    return shifts


def demo_users() -> tuple[UserRegistry, dict[str, str]]:
    registry = UserRegistry()
    tokens = {
        "duty_officer": registry.issue(id="p-duty-1", name="李明", roles=[Role.duty_officer]),
        "duty_head": registry.issue(id="p-head", name="陈建国", roles=[Role.duty_head]),
        "secretary_general": registry.issue(id="l-sg", name="孙秘书长", roles=[Role.secretary_general]),
        "leader": registry.issue(id="l-vm-safety", name="吴副市长", roles=[Role.leader]),
        "admin": registry.issue(id="admin", name="系统管理员", roles=[Role.admin]),
        "unit_system": registry.issue(id="sys-wuming", name="武鸣区应急管理局系统", roles=[Role.unit_system],
                                      system="wuming-yjj"),
    }
    return registry, tokens


async def seed_scheduling(store: Any, clock: Clock) -> None:
    for person in PEOPLE:
        await store.upsert("people", {k: v for k, v in person.items() if k != "contacts"})
    for leader in LEADERS:
        await store.upsert("leaders", leader)
    for shift in roster_around(clock.now()):
        await store.upsert("shifts", shift)


# Who the shipped rules file sends to besides the people above (its leaders ARE the people above): the units
# it copies (抄送), the party-committee duty room, the county duty rooms and the provincial duty office that
# receives the bulletin. Fictitious numbers, so the demo's deliveries land in the spool.
ROUTED_ADDRESSEES: list[dict[str, Any]] = [
    {"_id": _id, "name": name, "title": name,
     "contacts": {"office_phone": f"0771-55503{n:02d}", "fax": f"0771-55504{n:02d}", "mobile": f"139077103{n:02d}"}}
    for n, (_id, name) in enumerate([
        ("party_committee_duty_room", "市委值班室"), ("province_duty_office", "省人民政府总值班室"),
        ("市应急管理局", "市应急管理局"), ("市消防救援支队", "市消防救援支队"),
        ("市公安局交通管理支队", "市公安局交通管理支队"), ("市生态环境局", "市生态环境局"), ("市地震局", "市地震局"),
        ("市自然资源局", "市自然资源局"), ("市卫生健康委", "市卫生健康委"), ("市市场监管局", "市市场监管局"),
        ("市公安局", "市公安局"), ("市信访局", "市信访局"),
        *((f"county:{code}", f"县区政府值班室（{code}）") for code in COUNTIES),
    ])
]


def directory_ids() -> set[str]:
    """Everyone notify knows in the demo: escalation checks its rules' addressees against this at start-up."""
    return {p["_id"] for p in [*PEOPLE, *ROUTED_ADDRESSEES]}


async def seed_notify(store: Any) -> None:
    for person in [*PEOPLE, *ROUTED_ADDRESSEES]:
        await store.upsert_person({k: v for k, v in person.items() if k in ("_id", "name", "title", "contacts")})
