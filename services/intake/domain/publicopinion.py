"""Public-opinion items (舆情, R-16): online information about an event, recorded and linkable to an incident."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from .errors import ReportRejected


class Platform(StrEnum):
    weibo = "weibo"  # 微博
    wechat = "wechat"  # 微信公众号/视频号
    douyin = "douyin"  # 抖音
    kuaishou = "kuaishou"  # 快手
    toutiao = "toutiao"  # 今日头条
    news = "news"  # 新闻网站
    forum = "forum"  # 论坛、贴吧
    bilibili = "bilibili"
    xiaohongshu = "xiaohongshu"  # 小红书
    other = "other"


PLATFORM_ZH = {
    Platform.weibo: "微博", Platform.wechat: "微信", Platform.douyin: "抖音", Platform.kuaishou: "快手",
    Platform.toutiao: "今日头条", Platform.news: "新闻网站", Platform.forum: "论坛", Platform.bilibili: "哔哩哔哩",
    Platform.xiaohongshu: "小红书", Platform.other: "其他",
}
_PLATFORM_WORDS = {zh: p for p, zh in PLATFORM_ZH.items()} | {"微信公众号": Platform.wechat, "贴吧": Platform.forum}


class Reach(BaseModel):
    """How far it has spread when recorded; None = not known."""

    model_config = ConfigDict(extra="forbid")

    views: int | None = Field(default=None, ge=0, description="阅读/播放量")
    reposts: int | None = Field(default=None, ge=0, description="转发量")
    comments: int | None = Field(default=None, ge=0, description="评论量")
    likes: int | None = Field(default=None, ge=0, description="点赞量")


class PublicOpinionItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_url: HttpUrl = Field(description="原文链接")
    platform: Platform
    published_at: AwareDatetime = Field(description="发布时间")
    summary: str = Field(min_length=1, max_length=2000, description="内容摘要")
    reach: Reach = Field(default_factory=Reach)
    author: str | None = Field(default=None, max_length=100)
    area_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    incident_id: str | None = Field(default=None, max_length=64, description="关联事件")
    recorded_by: str | None = Field(default=None, max_length=50)

    @field_validator("platform", mode="before")
    @classmethod
    def _platform_from_chinese(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip() in _PLATFORM_WORDS:
            return _PLATFORM_WORDS[value.strip()]
        return value

    @property
    def total_reach(self) -> int:
        r = self.reach
        return sum(v or 0 for v in (r.views, r.reposts, r.comments, r.likes))

    def linked_to(self, incident_id: str) -> PublicOpinionItem:
        return self.model_copy(update={"incident_id": incident_id})


_FIELD_ZH = {"source_url": "原文链接", "platform": "平台", "published_at": "发布时间", "summary": "内容摘要",
             "reach": "传播量", "author": "作者", "area_code": "行政区划代码", "incident_id": "关联事件"}


def parse_public_opinion(raw: dict[str, Any], *, now: datetime) -> PublicOpinionItem:
    """Validate a recorded item; ReportRejected names the field in Chinese."""
    try:
        item = PublicOpinionItem.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(p) for p in first["loc"])
        name = _FIELD_ZH.get(path.split(".")[0], path)
        code = "missing_field" if first["type"] == "missing" else "invalid_field"
        detail = "缺少必填项" if code == "missing_field" else "格式不正确"
        if path == "source_url" and code == "invalid_field":
            detail = "应为 http(s) 网址"
        raise ReportRejected(code, path, f"舆情{name}{detail}") from None
    if item.published_at > now:
        raise ReportRejected("in_future", "published_at", "舆情发布时间晚于当前时间，请核对")
    if item.source_url.scheme not in ("http", "https"):
        raise ReportRejected("invalid_field", "source_url", "舆情原文链接应为 http(s) 网址")
    return item
