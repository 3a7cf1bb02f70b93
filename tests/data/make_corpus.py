"""Generate tests/data/intake_corpus.jsonl: a labelled corpus for same-event matching (deterministic).

    python tests/data/make_corpus.py

Each line is a contract-v1 report plus two labels the algorithm never sees: ``_event`` (the real event)
and ``_primary`` (the earliest received report of that event). Region: 南宁市 (4501xx). Events are
written as several units would report them — different words, different categories (the environment
bureau calls an explosion a leak), some with only the town, some without event time — plus follow-ups
(续报, with and without ``follow_up_of``) and deliberate near-misses: two events of one kind in one
district on one day, and the same kind of accident in the same county on the next day.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

CST = timezone(timedelta(hours=8))
OUT = Path(__file__).with_name("intake_corpus.jsonl")

COUNTIES = {
    "450102": ("兴宁区", "xingning", ["三塘镇", "五塘镇", "昆仑镇", "民生街道"]),
    "450103": ("青秀区", "qingxiu", ["南湖街道", "津头街道", "伶俐镇", "长塘镇"]),
    "450105": ("江南区", "jiangnan", ["沙井街道", "吴圩镇", "苏圩镇", "延安镇"]),
    "450107": ("西乡塘区", "xixiangtang", ["北湖街道", "安吉街道", "石埠街道", "金陵镇"]),
    "450108": ("良庆区", "liangqing", ["大沙田街道", "那马镇", "南晓镇", "大塘镇"]),
    "450109": ("邕宁区", "yongning", ["蒲庙镇", "那楼镇", "新江镇", "百济镇"]),
    "450110": ("武鸣区", "wuming", ["城厢镇", "双桥镇", "府城镇", "锣圩镇"]),
    "450123": ("隆安县", "longan", ["城厢镇", "那桐镇", "乔建镇", "丁当镇"]),
    "450124": ("马山县", "mashan", ["白山镇", "百龙滩镇", "林圩镇", "古零镇"]),
    "450125": ("上林县", "shanglin", ["大丰镇", "明亮镇", "巷贤镇", "白圩镇"]),
    "450126": ("宾阳县", "binyang", ["宾州镇", "黎塘镇", "新桥镇", "古辣镇"]),
    "450181": ("横州市", "hengzhou", ["横州镇", "六景镇", "峦城镇", "百合镇"]),
}
CITY_UNITS = {  # system id → unit name
    "nn-yjj": "南宁市应急管理局", "nn-fire": "南宁市消防救援支队", "nn-police": "南宁市公安局",
    "nn-traffic": "南宁市公安局交通警察支队", "nn-eco": "南宁市生态环境局", "nn-health": "南宁市卫生健康委员会",
    "nn-edu": "南宁市教育局", "nn-market": "南宁市市场监督管理局", "nn-water": "南宁市水利局",
    "nn-forest": "南宁市林业局", "nn-zjj": "南宁市住房和城乡建设局", "nn-nature": "南宁市自然资源局",
    "nn-xfj": "南宁市信访局", "nn-agri": "南宁市农业农村局",
}
NAMES = ["李明", "黄海", "韦建国", "覃丽", "陆晓东", "蒙军", "梁芳", "农志强", "莫红", "潘伟", "卢静", "甘涛"]


@dataclass
class Kind:
    key: str
    category: str
    units: list[tuple[str, str, str, str]]  # (system or "county", category as that unit files it, title, text)
    sites: list[str]


# Slots: {c}=county name, {t}=town, {s}=site, {d}=deaths, {i}=injuries, {hm}=time "14时20分".
KINDS = [
    Kind("chem_explosion", "production_safety", [
        ("county", "production_safety", "{c}{t}{s}发生爆炸事故", "{hm}许，{c}{t}{s}生产车间发生爆炸，造成{d}人死亡、{i}人受伤，厂区部分设备起火。县应急局、消防已赶赴现场处置。"),
        ("nn-fire", "fire", "{t}{s}爆炸起火", "接警称{t}{s}车间爆炸后起火，支队调派4个中队13车赶赴扑救，明火已控制，搜救被困人员。"),
        ("nn-eco", "environment", "{c}{s}化学品泄漏", "{s}爆炸后储罐破损，发生化学品泄漏，我局已派员开展周边大气和水体应急监测，下游暂未发现超标。"),
        ("nn-health", "production_safety", "{c}{s}爆炸伤员救治情况", "{s}爆炸事故伤员已送{c}人民医院救治，其中{i}人受伤，正在全力抢救。"),
    ], ["华南化工有限公司", "宏达精细化工厂", "金源化工有限公司", "鑫盛化工科技公司"]),
    Kind("road", "road_traffic", [
        ("nn-traffic", "road_traffic", "{c}{s}发生一起交通事故", "{hm}许，{c}{t}{s}路段一辆小型客车与一辆重型货车相撞，造成{d}人死亡、{i}人受伤，交警已封闭现场。"),
        ("county", "road_traffic", "{c}{t}{s}车祸", "{t}{s}发生两车相撞事故，事故造成{d}死{i}伤，伤者已送医，路段交通管制。"),
        ("nn-health", "road_traffic", "{s}交通事故伤员收治", "120接报{c}{s}车辆相撞，已出车救治伤员{i}人，伤情稳定。"),
    ], ["G324国道K1123", "南宁至梧州高速K45", "S210省道宾黎段", "G72泉南高速K1520", "民族大道与青山路交叉口", "竹溪大道高架桥", "五一路星光大道口", "昆仑大道K8"]),
    Kind("building_fire", "fire", [
        ("nn-fire", "fire", "{c}{s}火灾", "{hm}许，{c}{t}{s}一住户起火，消防救援站出动3车15人，{d}人死亡，{i}人吸入烟雾送医，火势已扑灭。"),
        ("county", "fire", "{t}{s}发生火灾", "{t}{s}居民楼发生火灾，造成{d}人死亡{i}人受伤，街道已疏散楼内居民。"),
        ("nn-health", "fire", "{s}火灾伤员救治", "{s}火灾{i}名伤员已送医院，均为烟雾吸入，无生命危险。"),
    ], ["幸福里小区8栋", "阳光花园3号楼", "城西农贸市场综合楼", "金湖广场商住楼", "水岸名城小区"]),
    Kind("food_poison", "food_poisoning", [
        ("nn-edu", "food_poisoning", "{c}{s}学生疑似食物中毒", "{hm}起，{c}{t}{s}陆续有学生出现呕吐、腹痛，已有{i}名学生送医，暂无死亡。"),
        ("nn-health", "public_health", "{s}聚集性胃肠道症状病例", "{c}{s}报告{i}例呕吐腹泻病例，疾控中心已采样流调，疑似食源性疾病。"),
        ("nn-market", "food_poisoning", "{s}食堂食品安全事件", "对{s}食堂已封存留样食品并立案调查，就诊{i}人。"),
    ], ["第一中学", "实验小学", "民族中学", "职业技术学校", "工业园区员工食堂"]),
    Kind("drowning", "drowning", [
        ("nn-police", "drowning", "{c}{s}发生溺水事件", "{hm}许，{c}{t}{s}有人落水，经打捞{d}人溺亡，{i}人获救。"),
        ("county", "drowning", "{t}{s}溺水死亡", "{t}{s}游泳人员溺水，造成{d}人死亡，镇政府已通知家属。"),
    ], ["郁江六景段", "右江那桐码头", "清水河大桥下", "八尺江蒲庙段", "武鸣河双桥段", "红水河百龙滩"]),
    Kind("landslide", "geological", [
        ("nn-nature", "geological", "{c}{t}{s}山体滑坡", "{hm}许，{c}{t}{s}受持续降雨影响发生山体滑坡，约2000方，{d}人被埋，紧急转移群众56人。"),
        ("county", "natural_disaster", "{t}{s}发生滑坡地质灾害", "{s}后山滑坡冲毁民房2间，失联{d}人，正在搜救。"),
        ("nn-yjj", "geological", "{c}滑坡灾害", "{c}{t}{s}滑坡，已启动地质灾害四级应急响应，调派救援力量。"),
    ], ["那坡屯", "古楼村", "六合村", "龙湾屯"]),
    Kind("collapse", "production_safety", [
        ("nn-zjj", "production_safety", "{c}{s}工地坍塌事故", "{hm}许，{c}{t}{s}项目基坑边坡坍塌，{d}名工人被埋，{i}人受伤。"),
        ("nn-yjj", "production_safety", "{c}{t}建筑施工坍塌", "{s}施工现场发生坍塌，已造成{d}人死亡、{i}人受伤，责令全面停工。"),
        ("nn-fire", "production_safety", "{s}坍塌救援", "支队赶赴{t}{s}开展坍塌救援，搜救被埋人员。"),
    ], ["五象新区安置房", "地铁5号线站点", "万达广场二期", "人民医院住院楼扩建"]),
    Kind("tanker", "road_traffic", [
        ("nn-traffic", "road_traffic", "{c}{s}危化品槽罐车侧翻", "{hm}许，{c}{s}一辆装载液碱的槽罐车侧翻，驾驶员受伤，道路双向封闭。"),
        ("nn-eco", "environment", "{c}{s}液碱泄漏", "槽罐车侧翻致液碱泄漏约3吨，部分流入路边水沟，已筑坝拦截并开展水质监测。"),
        ("nn-fire", "production_safety", "{s}危化品事故处置", "到场对泄漏液碱稀释中和，转输剩余货物，{i}人受伤。"),
    ], ["S210省道K32", "G75兰海高速K1890", "G80广昆高速K635"]),
    Kind("flood", "natural_disaster", [
        ("nn-water", "natural_disaster", "{c}强降雨致内涝", "{hm}起{c}普降暴雨，{t}{s}积水深达1米，转移群众120人，暂无人员伤亡。"),
        ("county", "natural_disaster", "{t}暴雨灾情", "{t}受暴雨影响，{s}等多处内涝，农田受淹，暂无人员伤亡。"),
    ], ["老城区", "沿江低洼片区", "新村片区"]),
    Kind("forest_fire", "fire", [
        ("nn-forest", "fire", "{c}{t}森林火灾", "{hm}许，{c}{t}{s}林地起火，过火面积约30亩，扑火队伍已到场。"),
        ("county", "fire", "{t}{s}山火", "{s}发生山火，已组织扑救，暂无人员伤亡。"),
    ], ["大明山脚", "青山林场", "高峰林场"]),
    Kind("gathering", "mass_incident", [
        ("nn-police", "social_security", "{c}{s}人员聚集", "{hm}许，{c}{s}门前约80名业主聚集，反映房产延期交付问题，民警现场维持秩序。"),
        ("nn-xfj", "mass_incident", "{s}业主集体上访", "{s}业主约80人集体上访，我局会同属地政府接待劝返。"),
    ], ["碧桂园售楼部", "区政府", "恒大城项目部"]),
    Kind("gas_blast", "production_safety", [
        ("nn-fire", "fire", "{c}{s}燃气爆燃", "{hm}许，{c}{t}{s}一餐馆燃气爆燃起火，{i}人受伤，火已扑灭。"),
        ("county", "production_safety", "{t}{s}燃气爆炸", "{s}餐馆液化气瓶泄漏引发爆炸，造成{d}人死亡{i}人受伤。"),
        ("nn-zjj", "production_safety", "{s}燃气安全事故", "已对{s}周边燃气管线排查，关停涉事液化气供应点。"),
    ], ["美食街", "中华路口", "夜市一条街"]),
    Kind("river_pollution", "environment", [
        ("nn-eco", "environment", "{c}{s}水体污染死鱼", "{hm}许，群众反映{c}{t}{s}出现大面积死鱼，水体发黑，已溯源排查。"),
        ("nn-agri", "environment", "{s}养殖鱼类死亡", "{s}网箱养殖鱼类大量死亡约5000斤，疑为上游排污所致。"),
    ], ["武鸣河下游", "心圩江", "良凤江"]),
    Kind("epidemic", "public_health", [
        ("nn-health", "public_health", "{c}{s}诺如病毒聚集性疫情", "{hm}报告，{c}{s}出现{i}例呕吐腹泻病例，经检测为诺如病毒感染。"),
        ("nn-edu", "public_health", "{s}学生集中发病", "{s}出现集中发热呕吐学生{i}名，已停课消毒。"),
    ], ["第二幼儿园", "育才学校", "外国语学校"]),
]

# (kind, county code, site index, day offset, hour, minute, deaths, injuries, number of units)
# Near-misses are marked; the rest spread over October 2026.
EVENTS = [
    ("chem_explosion", "450126", 0, 0, 14, 20, 2, 5, 4),
    ("road", "450103", 4, 0, 8, 10, 1, 2, 3),
    ("road", "450103", 5, 0, 10, 5, 0, 3, 3),  # near-miss: same district, same day, same kind, 2 h later
    ("building_fire", "450103", 1, 0, 15, 40, 0, 2, 3),  # near-miss: same district, same day, other kind
    ("road", "450126", 0, 1, 15, 0, 2, 1, 3),
    ("road", "450126", 2, 2, 9, 30, 1, 2, 3),  # near-miss: same county, next day, same kind
    ("food_poison", "450107", 0, 2, 12, 30, 0, 23, 3),
    ("building_fire", "450107", 2, 2, 13, 10, 1, 1, 3),  # same district, same day, other kind
    ("drowning", "450181", 0, 3, 16, 30, 1, 0, 2),
    ("drowning", "450181", 0, 4, 17, 10, 2, 1, 2),  # near-miss: same place, next day
    ("landslide", "450124", 3, 4, 5, 40, 2, 0, 3),
    ("collapse", "450108", 0, 5, 10, 15, 1, 3, 3),
    ("tanker", "450126", 0, 5, 22, 40, 0, 1, 3),
    ("flood", "450110", 0, 6, 4, 0, 0, 0, 2),
    ("flood", "450125", 2, 6, 5, 30, 0, 0, 2),  # same rain, other county: a different incident
    ("forest_fire", "450110", 0, 7, 13, 0, 0, 0, 2),
    ("gathering", "450102", 0, 7, 9, 30, 0, 0, 2),
    ("gas_blast", "450107", 0, 8, 19, 20, 1, 4, 3),
    ("river_pollution", "450110", 0, 8, 7, 0, 0, 0, 2),
    ("epidemic", "450105", 0, 9, 8, 0, 0, 18, 2),
    ("chem_explosion", "450181", 1, 10, 3, 50, 0, 2, 3),
    ("road", "450181", 3, 10, 11, 20, 3, 5, 3),
    ("collapse", "450103", 1, 11, 16, 0, 2, 1, 3),
    ("building_fire", "450102", 3, 11, 2, 30, 2, 0, 3),
    ("food_poison", "450123", 3, 12, 18, 0, 0, 41, 3),
    ("drowning", "450109", 3, 12, 15, 0, 1, 0, 2),
    ("landslide", "450125", 1, 13, 23, 10, 1, 0, 2),
    ("tanker", "450105", 2, 13, 6, 30, 0, 1, 3),
    ("gas_blast", "450126", 1, 14, 11, 45, 0, 6, 3),
    ("road", "450110", 6, 14, 17, 30, 1, 0, 2),
    ("road", "450110", 7, 14, 18, 50, 0, 2, 2),  # near-miss: same district, same evening, same kind
    ("gathering", "450108", 2, 15, 10, 0, 0, 0, 2),
    ("river_pollution", "450107", 1, 15, 9, 0, 0, 0, 2),
    ("epidemic", "450107", 2, 16, 9, 0, 0, 12, 2),
    ("forest_fire", "450124", 1, 16, 14, 20, 0, 0, 2),
    ("forest_fire", "450124", 2, 17, 15, 0, 0, 0, 2),  # near-miss: same county, next day, same kind
    ("chem_explosion", "450109", 2, 18, 21, 5, 1, 3, 3),
    ("building_fire", "450105", 4, 18, 20, 30, 0, 3, 3),
    ("collapse", "450110", 3, 19, 9, 10, 0, 2, 2),
    ("food_poison", "450103", 4, 20, 12, 10, 0, 15, 3),
    ("drowning", "450110", 4, 20, 16, 40, 1, 0, 2),
    ("landslide", "450123", 2, 21, 6, 20, 0, 0, 2),
    ("flood", "450126", 1, 22, 3, 0, 0, 0, 2),
    ("road", "450124", 3, 23, 7, 45, 2, 4, 3),
    ("gas_blast", "450103", 2, 24, 20, 15, 0, 2, 2),
]
ALIASES = {  # how another unit may write the same site
    "华南化工有限公司": "华南化工厂", "宏达精细化工厂": "宏达化工", "G324国道K1123": "324国道宾阳段",
    "南宁至梧州高速K45": "南梧高速45公里处", "民族大道与青山路交叉口": "民族大道青山路口", "幸福里小区8栋": "幸福里小区",
    "第一中学": "市一中", "郁江六景段": "六景镇郁江河段", "五象新区安置房": "五象新区安置房项目工地",
    "S210省道K32": "210省道32公里处", "美食街": "美食街餐馆", "心圩江": "心圩江河段",
}
BASE = datetime(2026, 10, 1, tzinfo=CST)


def _county_system(code: str, rng: random.Random) -> tuple[str, str]:
    name, slug, _ = COUNTIES[code]
    if rng.random() < 0.5:
        return f"{slug}-zbs", f"{name}人民政府总值班室"
    return f"{slug}-yjj", f"{name}应急管理局"


def make_reports() -> list[dict]:
    rng = random.Random(20261128)
    kinds = {k.key: k for k in KINDS}
    out: list[dict] = []
    for number, (kind_key, code, site_i, day, hour, minute, deaths, injuries, n_units) in enumerate(EVENTS, 1):
        kind = kinds[kind_key]
        county, _, towns = COUNTIES[code]
        town = towns[(site_i + number) % len(towns)]
        site = kind.sites[site_i % len(kind.sites)]
        occurred = BASE + timedelta(days=day, hours=hour, minutes=minute)
        slots = {"c": county, "t": town, "s": site, "d": deaths, "i": injuries, "hm": f"{hour}时{minute:02d}分"}
        units = kind.units[:n_units]
        delay = timedelta(minutes=rng.randint(8, 25))
        event_reports: list[dict] = []
        for unit_i, (system, category, title, text) in enumerate(units):
            if system == "county":
                system, unit = _county_system(code, rng)
            else:
                unit = CITY_UNITS[system]
            received = occurred + delay
            delay += timedelta(minutes=rng.randint(6, 40))
            first_known = {**slots, "i": injuries if unit_i == 0 else max(min(injuries, 1), injuries - 1)}
            report = _report(number, system, unit, f"{system}-{number:03d}-{unit_i}", kind, category,
                             title.format(**first_known), text.format(**first_known), code, town, site,
                             occurred, received, deaths, injuries, rng)
            event_reports.append(report)
            if unit_i == 0 and rng.random() < 0.6:  # the first unit sends a 续报 next morning
                follow = dict(report)
                follow["source"] = {**report["source"], "report_id": report["source"]["report_id"] + "-x1"}
                follow["follow_up_of"] = report["source"]["report_id"]
                follow["received_at"] = (occurred + timedelta(hours=rng.randint(14, 20))).isoformat()
                follow["title"] = "（续报）" + report["title"]
                follow["text"] = f"续报：{site}事件伤亡人员情况核实更新，现场处置基本结束，善后工作有序开展。"
                follow["casualties"] = {**report["casualties"], "injuries": injuries + 1}
                event_reports.append(follow)
        earliest = min(event_reports, key=lambda r: (r["received_at"], r["source"]["system"], r["source"]["report_id"]))
        for r in event_reports:
            r["_event"] = f"E{number:03d}"
            r["_primary"] = r is earliest
        out.extend(event_reports)
    out.sort(key=lambda r: (r["received_at"], r["source"]["system"], r["source"]["report_id"]))
    return out


def _report(number: int, system: str, unit: str, report_id: str, kind: Kind, category: str, title: str, text: str,
            code: str, town: str, site: str, occurred: datetime, received: datetime, deaths: int, injuries: int,
            rng: random.Random) -> dict:
    county = COUNTIES[code][0]
    style = rng.random()
    site = ALIASES.get(site, site) if rng.random() < 0.3 else site  # units abbreviate differently
    if style < 0.4:
        place: str | None = f"{county}{town}{site}"
    elif style < 0.65:
        place = f"{town}{site}"
    elif style < 0.85:
        place = site
    elif style < 0.93:
        place = town  # only the town: not specific enough to tell events apart by place
    else:
        place = None
    report: dict = {
        "schema": "zhiban.report/1",
        "source": {"system": system, "unit": unit, "report_id": report_id},
        "channel": rng.choice(["network", "network", "network", "phone", "fax"]),
        "received_at": received.isoformat(),
        "occurred_at": (occurred + timedelta(minutes=rng.choice([0, 0, 5, -5, 10]))).isoformat(),
        "area_code": code if not system.startswith("nn-") or rng.random() < 0.8 else "450100",
        **({"place": place} if place else {}),
        "category": category,
        "title": title,
        "text": text,
        "casualties": {"deaths": deaths if rng.random() < 0.8 else None, "injuries": injuries,
                       "missing": 0, "trapped": 0 if rng.random() < 0.7 else None},
        "measures": "已赶赴现场处置" if rng.random() < 0.8 else None,
        "contact": {"name": rng.choice(NAMES), "phone": f"0771-{rng.randint(2000000, 5999999)}"},
        "classification": "plain",
    }
    if rng.random() < 0.08:  # a hasty phone report without the event time (初报)
        report.pop("occurred_at")
    return report


def main() -> None:
    reports = make_reports()
    with OUT.open("w", encoding="utf-8") as fh:
        for r in reports:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    events = {r["_event"] for r in reports}
    print(f"{len(reports)} reports, {len(events)} events → {OUT.name}")


if __name__ == "__main__":
    main()
