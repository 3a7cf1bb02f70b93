"""Category words (Chinese, as units write them) → contract categories. Defaults; callers may pass their own."""

from __future__ import annotations

from collections.abc import Mapping

from shared.contracts.report import Category

# Checked in order: the first keyword found in the text wins, so specific words come before general ones
# (食物中毒 before 中毒, 交通事故 before 事故).
DEFAULT_CATEGORY_SYNONYMS: dict[str, Category] = {
    "食物中毒": Category.food_poisoning,
    "食源性": Category.food_poisoning,
    "交通事故": Category.road_traffic,
    "道路交通": Category.road_traffic,
    "车祸": Category.road_traffic,
    "追尾": Category.road_traffic,
    "翻车": Category.road_traffic,
    "溺水": Category.drowning,
    "溺亡": Category.drowning,
    "地震": Category.earthquake,
    "山体滑坡": Category.geological,
    "滑坡": Category.geological,
    "泥石流": Category.geological,
    "崩塌": Category.geological,
    "地面塌陷": Category.geological,
    "地质灾害": Category.geological,
    "火灾": Category.fire,
    "失火": Category.fire,
    "起火": Category.fire,
    "着火": Category.fire,
    "爆炸": Category.production_safety,
    "闪爆": Category.production_safety,
    "坍塌": Category.production_safety,
    "中毒窒息": Category.production_safety,
    "生产安全": Category.production_safety,
    "安全生产": Category.production_safety,
    "矿难": Category.production_safety,
    "泄漏": Category.environment,
    "泄露": Category.environment,
    "污染": Category.environment,
    "环境": Category.environment,
    "传染病": Category.public_health,
    "疫情": Category.public_health,
    "公共卫生": Category.public_health,
    "群体性": Category.mass_incident,
    "聚集": Category.mass_incident,
    "上访": Category.mass_incident,
    "治安": Category.social_security,
    "刑事": Category.social_security,
    "社会安全": Category.social_security,
    "洪水": Category.natural_disaster,
    "泄洪": Category.natural_disaster,
    "洩洪": Category.natural_disaster,
    "洪涝": Category.natural_disaster,
    "内涝": Category.natural_disaster,
    "台风": Category.natural_disaster,
    "暴雨": Category.natural_disaster,
    "冰雹": Category.natural_disaster,
    "干旱": Category.natural_disaster,
    "森林火灾": Category.fire,
    "自然灾害": Category.natural_disaster,
    "其他": Category.other,
}


def category_from_text(text: str, synonyms: Mapping[str, Category] = DEFAULT_CATEGORY_SYNONYMS) -> Category | None:
    """The contract category for a value as written: an enum value ("fire", any case) or a Chinese word.

    None when nothing matches; the caller decides (intake keeps the text and files it as "other")."""
    cleaned = text.strip()
    lowered = cleaned.lower()
    if lowered in Category.__members__:
        return Category(lowered)
    if cleaned in synonyms:
        return synonyms[cleaned]
    for keyword, category in synonyms.items():
        if keyword in cleaned:
            return category
    return None
