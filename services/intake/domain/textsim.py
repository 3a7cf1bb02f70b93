"""Chinese text similarity for same-event matching: jieba segmentation + rapidfuzz scoring.

Words that say nothing about *which* event it is (area names every report of the district carries,
report boilerplate, numbers, punctuation) are dropped before comparing, so two different events in one
district do not look alike just because both name the district.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Container, Iterable
from functools import lru_cache

import jieba
from rapidfuzz import fuzz

jieba.setLogLevel(logging.WARNING)

# Report boilerplate (报送套话) and generic words; data, not logic — extend as units' habits show.
STOPWORDS: frozenset[str] = frozenset(
    """的 了 在 和 与 及 等 于 对 由 为 是 有 无 已 将 并 其 该 此 中 内 时 后 前 约 左右 目前 现 现场 情况 发生 事件 事故
    报告 报送 初报 续报 终报 关于 一起 一 名 人 个 处 造成 导致 受伤 死亡 失踪 被困 伤亡 暂无 不详 正在 进一步 核实 处置
    相关 部门 单位 工作 开展 组织 赶赴 到达 人员 我局 我县 我区 我市 接报 报警 称 据 经 初步 目前 年 月 日 时 分 许
    左右 有关 已经 进行 立即 迅速 全力 附近 一带 位于 省 市 县 区 镇 乡 村 街道 社区 路 号""".split()
)
_NOISE = re.compile(r"^[\W\d_a-zA-Z]+$")


def warm_up() -> None:
    """Load jieba's bundled dictionary now (a one-off read) rather than on the first report."""
    jieba.initialize()


@lru_cache(maxsize=4096)
def _segment(text: str) -> tuple[str, ...]:
    """``jieba.lcut(text)``, a block at a time.

    jieba cuts a text block by block — the runs of Han/alphanumeric characters, and what lies between —
    and each block on its own, so cutting each block alone and joining gives exactly ``jieba.lcut(text)``.
    Blocks (clauses between punctuation, place names, report phrases) recur across reports, far more
    often than whole texts; a block seen before is not cut again."""
    return tuple(word for block in _BLOCKS.split(text) if block for word in _cut_block(block))


# jieba's own block pattern (cut's re_han for the default, non-cut_all mode)
_BLOCKS: re.Pattern[str] = jieba.re_han_default


@lru_cache(maxsize=16384)
def _cut_block(block: str) -> tuple[str, ...]:
    return tuple(jieba.lcut(block))


def words(text: str) -> tuple[str, ...]:
    """Meaningful words of ``text`` in order: jieba's words without stopwords, numbers or punctuation."""
    out: list[str] = []
    for word in _segment(text):
        word = word.strip()
        if not word or word in STOPWORDS or _NOISE.match(word):
            continue
        out.append(word)
    return tuple(out)


def tokens(text: str, drop: Iterable[str] = ()) -> list[str]:
    """Meaningful words of ``text``, minus ``drop`` (e.g. the names of the report's own area)."""
    dropped = set(drop)
    return [word for word in words(text) if word not in dropped]


def bag(words_: Iterable[str], drop: Container[str] = ()) -> str:
    """The form ``similarity`` compares: the distinct words minus ``drop``, sorted, space-joined ("" for none).

    Computing it once per text lets a text compared with many others skip the work on every pair."""
    return " ".join(sorted({word for word in words_ if word not in drop}))


def similarity(a: list[str], b: list[str]) -> float:
    """0..1: how far two bags of words describe the same thing (see ``bag_similarity``)."""
    if not a or not b:
        return 0.0
    return bag_similarity(" ".join(sorted(set(a))), " ".join(sorted(set(b))))


def bag_similarity(left: str, right: str) -> float:
    """0..1 for two ``bag`` strings.

    The mean of rapidfuzz's token_set_ratio (forgiving when one report says more than the other) and
    token_sort_ratio (penalising what is different); a single shared word must not make a match."""
    if not left or not right:
        return 0.0
    return (fuzz.token_set_ratio(left, right) + fuzz.token_sort_ratio(left, right)) / 200.0


def char_similarity(a: str, b: str) -> float:
    """0..1 on the raw strings, for short place texts where segmentation differs between writers."""
    if not a or not b:
        return 0.0
    return fuzz.partial_ratio(a, b) / 100.0 if min(len(a), len(b)) >= 2 else 0.0
