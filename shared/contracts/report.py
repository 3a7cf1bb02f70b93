"""The report contract v1: what a county or department system publishes, and what the HTTP API accepts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Channel(StrEnum):
    network = "network"
    phone = "phone"
    fax = "fax"
    telegram = "telegram"
    sms = "sms"
    email = "email"
    other = "other"


class Category(StrEnum):
    natural_disaster = "natural_disaster"
    earthquake = "earthquake"
    geological = "geological"
    production_safety = "production_safety"
    road_traffic = "road_traffic"
    fire = "fire"
    environment = "environment"
    public_health = "public_health"
    food_poisoning = "food_poisoning"
    social_security = "social_security"
    mass_incident = "mass_incident"
    drowning = "drowning"
    other = "other"


class Classification(StrEnum):
    plain = "plain"  # 明件
    classified = "classified"  # 密件


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")

    system: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    unit: str = Field(min_length=1, max_length=100, description="报送单位（中文名称）")
    report_id: str = Field(min_length=1, max_length=128)


class Casualties(BaseModel):
    """None means 不详 (not known yet); 0 means 暂无 (explicitly none)."""

    model_config = ConfigDict(extra="allow")

    deaths: int | None = Field(default=None, ge=0)
    injuries: int | None = Field(default=None, ge=0)
    serious_injuries: int | None = Field(default=None, ge=0)
    missing: int | None = Field(default=None, ge=0)
    trapped: int | None = Field(default=None, ge=0)
    ill: int | None = Field(default=None, ge=0, description="发病人数（公共卫生、食物中毒）")
    collective_unit_ill: int | None = Field(default=None, ge=0, description="学校或集体单位发病人数")


class Contact(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=32)


class ReportV1(BaseModel):
    """zhiban.report/1 — unknown extra fields are kept, not rejected."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, json_schema_extra={"title": "zhiban.report/1"})

    schema_: Literal["zhiban.report/1"] = Field(default="zhiban.report/1", alias="schema")
    source: Source
    channel: Channel = Channel.network
    received_at: AwareDatetime | None = None
    occurred_at: AwareDatetime | None = None
    area_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    place: str | None = Field(default=None, max_length=200)
    category: Category = Category.other
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(default="", max_length=20000)
    casualties: Casualties = Field(default_factory=Casualties)
    evacuated: int | None = Field(default=None, ge=0)
    economic_loss_cny: float | None = Field(default=None, ge=0)
    magnitude: float | None = Field(default=None, ge=0, le=10, description="震级（地震）")
    dense_area: bool | None = Field(default=None, description="是否人口密集地区（地震）")
    participants: int | None = Field(default=None, ge=0, description="参与人数（群体性事件）")
    measures: str | None = Field(default=None, max_length=5000)
    contact: Contact = Field(default_factory=Contact)
    classification: Classification = Classification.plain
    follow_up_of: str | None = Field(default=None, max_length=128)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source.system, self.source.report_id)

    def with_received_at(self, when: datetime) -> ReportV1:
        return self if self.received_at else self.model_copy(update={"received_at": when})
