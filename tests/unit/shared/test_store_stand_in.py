"""The stand-in's fast paths (shared/store.py) skip documents before mongomock's matcher runs: the answers
must be exactly those of mongomock's full scan, for every shape they handle and those they leave alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mongomock.collection import Collection
from pymongo import ReturnDocument

from shared.store import database, forget_memory_clients

T0 = datetime(2026, 11, 28, 6, 0, 0, 123456, tzinfo=UTC)

DOCS: list[dict[str, Any]] = [
    {"_id": "a", "state": "pending", "due_at": T0 - timedelta(minutes=5), "kind": "deadline_overdue", "n": 1},
    {"_id": "b", "state": "pending", "due_at": T0 + timedelta(minutes=5), "kind": "deadline_reminder", "n": 2},
    {"_id": "c", "state": "fired", "due_at": T0 - timedelta(hours=1), "kind": "review_reminder", "n": 1.0},
    {"_id": "d", "state": ["pending", "x"], "due_at": [T0 + timedelta(days=1), T0 - timedelta(days=1)], "n": True},
    {"_id": "e", "due_at": None, "kind": None, "n": "1"},
    {"_id": "f", "state": {"nested": "pending"}, "due_at": "2026-01-01", "kind": ["deadline_overdue"]},
    {"_id": "g", "state": "pending", "due_at": T0, "kind": "deadline_reminder"},  # exactly the bound (ms)
    {"_id": 7, "state": "pending", "due_at": T0 + timedelta(microseconds=400), "n": 0},
]

FILTERS: list[dict[str, Any]] = [
    {"state": "pending"},
    {"state": "fired"},
    {"state": "x"},
    {"n": 1},
    {"n": True},
    {"n": "1"},
    {"n": 0},
    {"kind": {"$in": ["deadline_reminder", "deadline_overdue"]}},
    {"kind": {"$in": [None, "review_reminder"]}},
    {"due_at": {"$lte": T0}},
    {"due_at": {"$lt": T0}},
    {"due_at": {"$lte": T0 + timedelta(microseconds=900)}},
    {"due_at": {"$lte": T0.replace(tzinfo=None)}},
    {"state": "pending", "due_at": {"$lte": T0}},
    {"state": "pending", "kind": {"$in": ["deadline_reminder"]}, "_id": {"$nin": ["g"]}},
    {"_id": "a"},
    {"_id": "a", "state": "fired"},
    {"_id": "a", "state": "pending", "n": {"$gte": 1}},
    {"_id": 7, "state": "pending"},
    {"_id": "zz", "state": "pending"},
    {"_id": {"$in": ["a", "b"]}},
    {"_id": {"$in": ["b", 7, "zz", "a", "b"]}},
    {"_id": {"$in": ["zz"]}},
    {"_id": {"$in": ["a", "c"]}, "state": "pending"},
    {"state.nested": "pending"},
    {"$or": [{"state": "fired"}, {"n": 2}]},
    {"n": {"$gte": 1}, "state": "pending"},
    {},
]


@pytest.fixture
def collection() -> Any:
    forget_memory_clients()
    coll = database("memory://stand-in-test", "t")["docs"]
    asyncio.run(coll.insert_many([dict(d) for d in DOCS]))
    yield coll
    forget_memory_clients()


def found(coll: Any, query: dict[str, Any], **kwargs: Any) -> list[Any]:
    return [d["_id"] for d in asyncio.run(coll.find(query, **kwargs).to_list(None))]


def full_scan(coll: Any, query: dict[str, Any], monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> list[Any]:
    """The same query through mongomock's own scan (the fast paths switched off for the call)."""
    from mongomock.filtering import filter_applies

    with monkeypatch.context() as m:
        m.setattr(Collection, "_iter_documents", lambda self, f: (
            d for d in list(self._store.documents) if filter_applies(f, d)))
        return found(coll, query, **kwargs)


@pytest.mark.parametrize("query", FILTERS, ids=[str(f) for f in FILTERS])
def test_every_filter_finds_what_the_full_scan_finds(collection: Any, query: dict[str, Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = found(collection, query), full_scan(collection, query, monkeypatch)
    if "$in" in str(query.get("_id")):  # read by key: in the $in list's order (MongoDB, unsorted: its index's)
        assert sorted(map(str, fast)) == sorted(map(str, slow)) and len(fast) == len(slow)
    else:
        assert fast == slow


def test_the_fast_paths_are_taken(collection: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The matcher runs only on the documents a condition cannot rule out (not on the whole collection)."""
    import mongomock.filtering

    calls: list[Any] = []
    real = mongomock.filtering._filterer_inst.apply

    def counting(f: Any, d: Any) -> bool:
        calls.append(d.get("_id"))
        return bool(real(f, d))

    monkeypatch.setattr(mongomock.filtering._filterer_inst, "apply", counting)
    assert found(collection, {"_id": "b", "state": "pending"}) == ["b"]
    assert calls == ["b"]
    calls.clear()
    assert found(collection, {"state": "pending", "due_at": {"$lte": T0}}) == ["a", "d", "g", 7]
    # d: an array; f: a dict state and a text due_at — left to mongomock; b (later), c (fired), e: skipped
    assert sorted(map(str, calls)) == ["7", "a", "d", "f", "g"]
    calls.clear()
    assert found(collection, {"_id": {"$in": ["c", "zz", "a"]}}) == ["c", "a"]
    assert calls == ["c", "a"]  # read by key: no other document is looked at


def test_claims_in_the_same_order_as_the_full_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """escalation's claim_due: the earliest due pending timer, each once, in the same order."""
    query = {"state": "pending", "due_at": {"$lte": T0}}

    def claims() -> list[Any]:
        forget_memory_clients()
        coll = database("memory://stand-in-test", "t")["docs"]
        asyncio.run(coll.insert_many([dict(d) for d in DOCS]))
        out = []
        while doc := asyncio.run(coll.find_one_and_update(query, {"$set": {"state": "fired"}}, sort=[("due_at", 1)],
                                                           return_document=ReturnDocument.AFTER)):
            out.append(doc["_id"])
        return out

    fast = claims()
    from mongomock.filtering import filter_applies

    with monkeypatch.context() as m:
        m.setattr(Collection, "_iter_documents", lambda self, f: (
            d for d in list(self._store.documents) if filter_applies(f, d)))
        slow = claims()
    forget_memory_clients()
    assert fast == slow
    assert fast[:2] == ["a", "g"]


@pytest.mark.parametrize("query", [{"_id": "nothing-here", "n": {"$bogus": 1}}, {"state": "none", "n": {"$bogus": 1}},
                                   {"_id": "a", "n": {"$bogus": 1}}, {"state": "pending", "n": {"$bogus": 1}}])
def test_invalid_filters_fail_as_before(collection: Any, query: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def outcome(run: Any) -> str:
        try:
            return f"found {run()}"
        except Exception as exc:
            return type(exc).__name__

    assert outcome(lambda: found(collection, query)) == outcome(lambda: full_scan(collection, query, monkeypatch))
