"""The store factory: ``mongodb://…`` → PyMongo's AsyncMongoClient; ``memory://`` → mongomock-motor.

``memory://`` is an in-process STAND-IN for MongoDB (no server can be installed on our machines); it is
used by the embedded mode and the tests. Production (docker compose) runs a real MongoDB replica set.
Services use only the API subset both share, plus the helpers below for the calls whose shape differs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

_memory_clients: dict[str, Any] = {}


_PLAIN = (str, int, float, bool)


def _condition_check(key: str, search: Any) -> Any:
    """A cheap test that is False only for a document mongomock's matcher would certainly reject on this
    one top-level condition, or None when the condition is not one of the simple shapes understood here.
    Arrays are never rejected (MongoDB matches their elements), nor are values of any other type."""
    if "." in key or key.startswith("$"):
        return None
    if type(search) in _PLAIN:

        def equal(doc: dict[str, Any]) -> bool:
            value = doc.get(key, _MISSING)
            return value is not _MISSING and (type(value) not in _PLAIN or value == search)

        return equal
    if isinstance(search, dict) and len(search) == 1:
        ((op, operand),) = search.items()
        if op == "$in" and isinstance(operand, list | tuple) and operand and all(type(v) in _PLAIN for v in operand):
            allowed = set(operand)

            def within(doc: dict[str, Any]) -> bool:
                value = doc.get(key, _MISSING)
                return value is not _MISSING and (type(value) not in _PLAIN or value in allowed)

            return within
        if op in ("$lte", "$lt") and isinstance(operand, datetime):
            # the stand-in keeps datetimes naive UTC, truncated to the millisecond: a stored time after the
            # bound (at or after it, for $lt) is after it however the bound is rounded
            bound = operand.astimezone(UTC).replace(tzinfo=None) if operand.tzinfo else operand
            strict = op == "$lt"

            def before(doc: dict[str, Any]) -> bool:
                value = doc.get(key, _MISSING)
                if value is _MISSING:
                    return False
                if type(value) is not datetime or value.tzinfo is not None:
                    return True
                return value < bound or (not strict and value == bound)

            return before
    return None


class _Missing:
    pass


_MISSING = _Missing()


def _speed_up_lookups() -> None:
    """mongomock answers every query by running its matcher over every document of the collection: 5-10 µs a
    document, so an ``_id`` lookup costs 8 ms at 2,000 documents and the timer poll of escalation grows with
    every timer ever planned. A real MongoDB uses its indexes; the stand-in does this after this patch:
    - a filter with a plain ``_id`` value reads that one document;
    - simple top-level conditions (a plain value, ``$in`` plain values, ``$lte``/``$lt`` a datetime) first
      skip, with one dict lookup, the documents they certainly exclude.
    Every remaining document still goes through mongomock's own matcher, so the answer is unchanged."""
    from mongomock.collection import Collection
    from mongomock.filtering import filter_applies

    if getattr(Collection, "_zhiban_fast_paths", False):
        return
    scan = Collection._iter_documents

    def iter_documents(self: Any, filter: Any) -> Any:  # noqa: A002 - mongomock's name
        if not isinstance(filter, dict) or not filter:
            return scan(self, filter)
        store = self._store
        if "_id" in filter and not isinstance(filter["_id"], dict | list):
            key = filter["_id"]
            document = store[key] if key in store else None
            if document is None:
                filter_applies(filter, {})  # an invalid filter still raises
                return iter([])
            return iter([document] if filter_applies(filter, document) else [])
        checks = [c for c in (_condition_check(k, v) for k, v in filter.items()) if c is not None]
        if not checks:
            return scan(self, filter)
        candidates = list(store.documents)
        for check in checks:  # one pass per condition: no per-document generator
            candidates = [d for d in candidates if check(d)]
        if not candidates:
            filter_applies(filter, {})
        return (d for d in candidates if filter_applies(filter, d))

    Collection._iter_documents = iter_documents  # type: ignore[method-assign]
    Collection._zhiban_fast_paths = True  # type: ignore[attr-defined]


def make_client(url: str) -> Any:
    if url.startswith("memory://"):
        # one in-process client per memory URL, so the four services of the embedded mode share it
        if url not in _memory_clients:
            from mongomock_motor import AsyncMongoMockClient

            _speed_up_lookups()
            _memory_clients[url] = AsyncMongoMockClient(tz_aware=True)
        return _memory_clients[url]
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(url, tz_aware=True)
    raise ValueError(f"unsupported store URL {url!r}: use mongodb://… or memory://")


def database(url: str, service: str) -> Any:
    """Each service owns its own database: zhiban_<service>."""
    return make_client(url)[f"zhiban_{service}"]


def forget_memory_clients() -> None:
    """Tests start from an empty stand-in."""
    _memory_clients.clear()


def is_duplicate_key(exc: BaseException) -> bool:
    from pymongo.errors import DuplicateKeyError

    return isinstance(exc, DuplicateKeyError)


async def aggregate(collection: Any, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PyMongo's async aggregate is awaited for a cursor; mongomock-motor returns the cursor directly."""
    cursor = collection.aggregate(pipeline)
    if hasattr(cursor, "__await__"):
        cursor = await cursor
    return await cursor.to_list(None)
