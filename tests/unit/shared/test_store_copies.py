"""The stand-in's faster copies (shared/store.py, _speed_up_copies) replace mongomock's copying code: every
operation must return and store exactly what mongomock's own code does (same types, same values, the same
datetimes truncated to the millisecond), raise the same errors, and keep the store isolated from the
documents callers pass in or get back."""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from bson import Binary, Decimal128, Int64, ObjectId, Regex, Timestamp
from mongomock import helpers
from pymongo import ReturnDocument

from shared import store

SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 28, 6, 0, 0, 123456, tzinfo=UTC)
OID = ObjectId("65f000000000000000000001")


def entry(i: int) -> dict[str, Any]:
    return {"at": T0 + timedelta(seconds=i, microseconds=789), "kind": "report_attached", "report": f"r{i}",
            "detail": {"score": 0.5 + i, "keys": ["a", ("b", i)], "seen": [T0.astimezone(SHANGHAI)]}}


def incident(key: str) -> dict[str, Any]:
    """Every shape a document holds in the services, and a few mongomock hands to its own code."""
    return {
        "_id": key, "status": "open", "n": 3, "ratio": 0.25, "flag": True, "none": None,
        "opened_at": T0.astimezone(SHANGHAI),  # aware, not UTC
        "naive_at": datetime(2026, 1, 2, 3, 4, 5, 999999),  # naive, microseconds
        "timeline": [entry(i) for i in range(5)],
        "nested": {"deep": {"deeper": [{"x": [1, [2, {"y": T0}]]}]}, "empty": {}, "list": []},
        "raw": b"\x00\xffbytes", "oid": OID, "tuple": (1, "two", T0),
        "ordered": OrderedDict([("b", 1), ("a", T0)]),
        "int64": Int64(2**40), "decimal": Decimal128("1.10"), "binary": Binary(b"\x01", 5),
        "uuid": Binary.from_uuid(uuid.UUID(int=7)), "regex": Regex("^a", "i"), "stamp": Timestamp(5, 1),
    }


def typed(value: Any) -> Any:
    """A value with its types spelt out: == alone takes 1 for True and 1.0, and ignores time zones."""
    if isinstance(value, dict):
        return (type(value).__name__, [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), value.utcoffset())
    if isinstance(value, Regex):
        return ("Regex", value.pattern, value.flags)
    return (type(value).__name__, value)


@contextmanager
def mongomock_own_copies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """mongomock's own code back for the block (the patches are made by the first memory client)."""
    store.make_client("memory://copies-setup")
    assert store._slow_copies, "the stand-in did not patch mongomock's copies"
    with monkeypatch.context() as m:
        for owner, name, slow in store._slow_copies:
            m.setattr(owner, name, slow)
        yield


def outcome(run: Callable[[], Any]) -> Any:
    try:
        return ("ok", typed(run()))
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))


def counts(result: Any) -> Any:
    return result.matched_count, result.modified_count, result.upserted_id


def scenario() -> list[Any]:
    """The operations the services use, on a fresh stand-in: what each returns, then everything stored."""
    store.forget_memory_clients()
    coll = store.database(f"memory://copies-{uuid.uuid4().hex[:6]}", "t")["incidents"]
    claims = store.database(f"memory://copies-{uuid.uuid4().hex[:6]}", "t")["claims"]
    run = asyncio.run
    seen: list[Any] = [
        outcome(lambda: run(coll.insert_one(incident("a"))).inserted_id),
        outcome(lambda: run(coll.insert_many([incident("b"), incident("c")])).inserted_ids),
        outcome(lambda: run(coll.insert_one(incident("a")))),  # duplicate _id
        outcome(lambda: run(coll.insert_many([incident("d"), incident("b")]))),  # the second is a duplicate
        outcome(lambda: run(coll.insert_one({"_id": OID, "at": T0})).inserted_id),
        outcome(lambda: counts(run(coll.update_one({"_id": "a"}, {
            "$push": {"timeline": {"$each": [entry(9), entry(10)]}},
            "$set": {"status": "merged", "window": [T0, {"to": T0 + timedelta(microseconds=1500)}], "t": ("x", 1)},
            "$inc": {"n": 1}, "$addToSet": {"keys": {"$each": ["k1", "k2"]}},
        })))),
        outcome(lambda: counts(run(coll.update_one({"_id": "a"}, {"$pull": {"keys": {"$in": ["k1"]}}})))),
        outcome(lambda: counts(run(coll.update_one({"_id": "b"}, {"$set": {"status": "open"}})))),  # no change
        outcome(lambda: run(coll.update_one({"_id": "c"}, {"$set": {"_id": "z"}}))),  # _id is immutable
        outcome(lambda: counts(run(coll.update_many({"status": "open"}, {"$set": {"seen_at": T0}})))),
        outcome(lambda: counts(run(coll.replace_one({"_id": "d"}, incident("d"))))),
        outcome(lambda: run(coll.find_one({"_id": "a"}))),
        outcome(lambda: run(coll.find_one({"opened_at": {"$lte": T0}}, sort=[("_id", -1)]))),
        outcome(lambda: run(coll.find({"status": "open"}).sort("_id", 1).to_list(None))),
        outcome(lambda: run(coll.find({}, {"timeline": 1, "ordered": 1}).to_list(None))),
        outcome(lambda: run(coll.find({}, {"timeline": 0, "_id": 0}).to_list(None))),
        outcome(lambda: run(coll.find({"_id": "a"}, {"timeline": {"$slice": 2}}).to_list(None))),
        outcome(lambda: run(coll.find_one_and_update({"_id": "b"}, {"$push": {"timeline": entry(7)}}))),
        outcome(lambda: run(coll.find_one_and_update({"_id": "b"}, {"$set": {"tuple": (T0,)}},
                                                     return_document=ReturnDocument.AFTER))),
        outcome(lambda: run(claims.find_one_and_update(  # intake's claim: an upsert, then a taken claim
            {"_id": "p0", "$or": [{"holder": None}, {"until": {"$lt": T0}}]},
            {"$set": {"holder": "h1", "until": T0 + timedelta(seconds=30)}, "$inc": {"epoch": 1}},
            upsert=True, return_document=True))),
        outcome(lambda: counts(run(claims.update_one({"_id": "p0", "holder": "h1"}, {"$set": {"holder": None}})))),
        outcome(lambda: run(claims.find_one_and_update(
            {"_id": "p0", "$or": [{"holder": None}, {"until": {"$lt": T0}}]},
            {"$set": {"holder": "h2", "until": T0}, "$inc": {"epoch": 1}}, upsert=True, return_document=True))),
        outcome(lambda: run(coll.count_documents({"status": "open"}))),
        outcome(lambda: run(coll.delete_one({"_id": "c"})).deleted_count),
        outcome(lambda: run(store.aggregate(coll, [{"$match": {"status": "open"}}, {"$project": {"n": 1}}]))),
        outcome(lambda: run(coll.find({}).sort("_id", 1).to_list(None))),
        outcome(lambda: run(claims.find({}).to_list(None))),
    ]
    store.forget_memory_clients()
    return seen


def test_every_operation_answers_and_stores_as_mongomock_does(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = scenario()
    with mongomock_own_copies(monkeypatch):
        slow = scenario()
    assert len(fast) == len(slow)
    for i, (f, s) in enumerate(zip(fast, slow, strict=True)):
        assert f == s, f"operation {i}"
    assert fast[2][:2] == ("raised", "DuplicateKeyError")
    assert fast[3][:2] == ("raised", "BulkWriteError")
    assert fast[8][:2] == ("raised", "WriteError")


def test_datetimes_come_back_aware_utc_and_truncated_to_the_millisecond() -> None:
    store.forget_memory_clients()
    coll = store.database("memory://copies-dates", "t")["docs"]
    asyncio.run(coll.insert_one({"_id": 1, "aware": T0.astimezone(SHANGHAI), "naive": T0.replace(tzinfo=None),
                                 "list": [{"at": T0}]}))
    doc = asyncio.run(coll.find_one({"_id": 1}))
    store.forget_memory_clients()
    expected = T0.replace(microsecond=123000)
    assert doc["aware"] == expected and doc["aware"].utcoffset() == timedelta(0)
    assert doc["naive"] == expected and doc["naive"].tzinfo is not None
    assert doc["list"][0]["at"] == expected


@pytest.mark.parametrize("value", [incident("x"), [incident("y"), (1, [T0])], T0, T0.replace(tzinfo=None), OID,
                                   OrderedDict([("a", [T0])]), Timestamp(3, 4), "text", 1.5, None, b"b"])
def test_the_copy_functions_give_what_mongomock_gives(value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    import mongomock.collection

    def results() -> list[Any]:
        stored = helpers.patch_datetime_awareness_in_document(value)
        return [
            typed(stored),
            typed(helpers.make_datetime_timezone_aware_in_document(stored)),
            typed(mongomock.collection._copy_field(stored, dict)),
            typed(mongomock.collection.copy.deepcopy(stored)),
        ]

    fast = results()
    with mongomock_own_copies(monkeypatch):
        assert mongomock.collection.copy is copy
        slow = results()
    assert fast == slow


def test_callers_cannot_change_the_store_through_their_documents() -> None:
    """Mutating, afterwards, a document passed in or got back (deep inside it too) leaves the store as it was."""
    store.forget_memory_clients()
    coll = store.database("memory://copies-isolation", "t")["incidents"]
    run = asyncio.run

    def mutate(doc: dict[str, Any], got_back: bool = True) -> None:
        if got_back:  # mongomock stores the very values of types it does not know (a Regex here), and
            doc["regex"].flags = 0  # returns copies of them
        doc["status"] = "changed"
        doc["timeline"].append({"kind": "intruder"})
        doc["timeline"][0]["detail"]["keys"].append("intruder")
        doc["timeline"][0]["kind"] = "intruder"
        doc["nested"]["deep"]["deeper"][0]["x"][1].append("intruder")
        doc["ordered"]["intruder"] = 1

    inserted = incident("a")
    run(coll.insert_one(inserted))
    many = [incident("b")]
    run(coll.insert_many(many))
    expected = {k: typed(run(coll.find_one({"_id": k}))) for k in ("a", "b")}
    mutate(inserted, got_back=False)
    mutate(many[0], got_back=False)
    mutate(run(coll.find_one({"_id": "a"})))
    for doc in run(coll.find({}).to_list(None)):
        mutate(doc)
    async def iterate() -> None:
        async for doc in coll.find({"_id": "b"}):
            mutate(doc)
    run(iterate())
    mutate(run(coll.find_one_and_update({"_id": "a"}, {"$set": {"x": 1}}, return_document=ReturnDocument.BEFORE)))
    mutate(run(coll.find_one_and_update({"_id": "b"}, {"$set": {"x": 1}}, return_document=ReturnDocument.AFTER)))
    assert {k: typed(run(coll.find_one({"_id": k}, {"x": 0}))) for k in ("a", "b")} == expected

    pushed = entry(9)
    values = {"window": [T0, {"to": T0}], "meta": {"by": ["x"]}}
    run(coll.update_one({"_id": "a"}, {"$push": {"timeline": {"$each": [pushed]}}, "$set": values}))
    after_update = typed(run(coll.find_one({"_id": "a"})))
    pushed["detail"]["keys"].append("intruder")
    values["window"].append("intruder")  # type: ignore[attr-defined]
    values["meta"]["by"].append("intruder")  # type: ignore[index]
    assert typed(run(coll.find_one({"_id": "a"}))) == after_update
    store.forget_memory_clients()


def test_the_patch_is_made_once() -> None:
    import mongomock.collection

    store.make_client("memory://copies-once")
    patched = (helpers.patch_datetime_awareness_in_document, mongomock.collection._copy_field)
    count = len(store._slow_copies)
    store._speed_up_copies()
    assert (helpers.patch_datetime_awareness_in_document, mongomock.collection._copy_field) == patched
    assert len(store._slow_copies) == count
    store.forget_memory_clients()


def test_a_client_without_tz_aware_still_gets_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The single copy on reads relies on the tz-aware cursor's copy: other clients keep mongomock's copy."""
    import mongomock

    store.make_client("memory://copies-naive")

    def run() -> tuple[Any, Any]:
        coll: Any = mongomock.MongoClient()["d"]["c"]
        coll.insert_one(incident("a"))
        got: Any = coll.find_one({"_id": "a"})
        first = typed(got)
        got["timeline"][0]["detail"]["keys"].append("intruder")
        got["regex"].flags = 0
        assert typed(coll.find_one({"_id": "a"})) == first
        return first, typed(list(coll.find({}, {"timeline": {"$slice": 1}})))

    fast = run()
    with mongomock_own_copies(monkeypatch):
        slow = run()
    assert fast == slow
    assert fast[0][1][6] == ("opened_at", ("datetime", "2026-11-28T06:00:00.123000", None))  # naive UTC
    store.forget_memory_clients()
