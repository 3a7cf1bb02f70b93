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
    - a filter with a plain ``_id`` value reads that one document, ``_id`` ``$in`` plain values those
      documents;
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
        ids = filter.get("_id")
        if isinstance(ids, dict) and len(ids) == 1 and isinstance(ids.get("$in"), list | tuple) and \
                all(type(v) in _PLAIN for v in ids["$in"]):
            found = [store[key] for key in dict.fromkeys(ids["$in"]) if key in store]
            if not found:
                filter_applies(filter, {})
            return (d for d in found if filter_applies(filter, d))
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


# (owner, name, mongomock's own value) of every patch _speed_up_copies made: the tests compare with them
_slow_copies: list[tuple[Any, str, Any]] = []


def _speed_up_copies() -> None:
    """mongomock copies whole documents on every operation, with generic code (``isinstance`` chains, a call
    per value, ``copy.deepcopy`` and its memo), so its cost grows with the documents (intake's incidents grow
    a ``timeline`` array; this was most of intake's time per report):
    - insert: rebuilds the document to store it (``helpers.patch_datetime_awareness_in_document``: naive UTC
      datetimes truncated to the millisecond, tuples as lists);
    - update: rebuilds the filter and the update document the same way, and ``copy.deepcopy``s the stored
      document first (to see whether it changed and to roll back);
    - read: copies each stored document (``_copy_field``), then copies it again to make its datetimes aware
      (``helpers.make_datetime_timezone_aware_in_document``).
    After this patch the same functions first handle, in one plain loop per container, the exact types
    documents are made of (dict, OrderedDict, list, str, int, float, bool, None, bytes, datetime, ObjectId)
    and hand any other value to mongomock's or the copy module's own code; and a tz-aware cursor reading
    whole documents copies them once (the aware copy) instead of twice. Unchanged: what is stored, what is
    returned (the same types and values), errors, and isolation: every container a caller passes in or gets
    back is fresh, only immutable values are shared. One thing is dropped, deepcopy's memo: a container
    reachable twice inside one document would be copied twice, and stored documents never hold one twice
    (each reaches the store through the rebuild above, which makes fresh containers).
    Written against mongomock 4.3.0 and mongomock-motor 0.0.36 (requirements.lock): with another mongomock
    nothing is patched (its own code runs, slower) and tests/unit/shared/test_store_copies.py fails, which
    compares every patched operation with mongomock's own code."""
    import copy
    import functools
    from collections import OrderedDict
    from types import SimpleNamespace

    import mongomock.collection
    from bson import ObjectId
    from mongomock import helpers
    from mongomock.collection import Collection
    from packaging import version

    if getattr(helpers, "_zhiban_fast_copies", False) or getattr(mongomock, "__version__", None) != "4.3.0":
        return
    # values shared instead of copied: immutable, exact types only (a subclass may add mutable state)
    scalars = frozenset({str, int, float, bool, type(None), bytes, ObjectId})
    atoms = scalars | {datetime}  # datetimes are also converted by the rebuild and the aware copy
    to_stored_slow = helpers.patch_datetime_awareness_in_document
    to_aware_slow = helpers.make_datetime_timezone_aware_in_document
    copy_field_slow = mongomock.collection._copy_field
    copy_only_fields_slow = Collection._copy_only_fields
    deepcopy_slow = copy.deepcopy
    utc = helpers.utc

    # plain loops rather than comprehensions: documents are mostly small dicts, and on Python 3.11 a
    # comprehension is one more frame per container (measured: a quarter slower)
    def stored_datetime(value: datetime) -> datetime:  # helpers.patch_datetime_awareness_in_document's arithmetic
        mongo_us = (value.microsecond // 1000) * 1000
        if value.tzinfo:
            return (value - value.utcoffset()).replace(tzinfo=None, microsecond=mongo_us)  # type: ignore[operator]
        return value.replace(microsecond=mongo_us)

    def to_stored(value: Any) -> Any:
        kind = type(value)
        if kind is dict or kind is OrderedDict:  # an upsert's new document is an OrderedDict
            new = kind()
            for k, v in value.items():
                t = type(v)
                new[k] = v if t in scalars else stored_datetime(v) if t is datetime else to_stored(v)
            return new
        if kind is list or kind is tuple:
            seq = []
            for v in value:
                t = type(v)
                seq.append(v if t in scalars else stored_datetime(v) if t is datetime else to_stored(v))
            return seq
        if kind in scalars:
            return value
        if kind is datetime:
            return stored_datetime(value)
        return to_stored_slow(value)  # subclasses, Timestamp, ...: its recursion comes back here

    def to_aware(value: Any) -> Any:
        kind = type(value)
        if kind is dict or kind is OrderedDict:
            new = {}
            for k, v in value.items():
                t = type(v)
                new[k] = v if t in scalars else v.replace(tzinfo=utc) if t is datetime else to_aware(v)
            return new
        if kind is list or kind is tuple:
            seq = []
            for v in value:
                t = type(v)
                seq.append(v if t in scalars else v.replace(tzinfo=utc) if t is datetime else to_aware(v))
            return seq
        if kind is datetime:
            return value.replace(tzinfo=utc)
        if isinstance(value, dict | list | tuple | datetime):
            return to_aware_slow(value)  # subclasses: its recursion comes back here
        # what _copy_field did to any other value before this ran (its copy is no longer made, see below)
        return copy.copy(value)

    def copy_only_fields(self: Any, doc: Any, fields: Any, container: Any) -> Any:
        if fields is None and container is dict and self.codec_options.tz_aware:
            return doc  # the whole document, for a tz-aware cursor: to_aware makes its only copy
        return copy_only_fields_slow(self, doc, fields, container)

    def copy_field(obj: Any, container: Any) -> Any:
        kind = type(obj)
        if (kind is dict or kind is OrderedDict) and container is dict:
            new = {}
            for k, v in obj.items():
                new[k] = v if type(v) in atoms else copy_field(v, dict)
            return new
        if kind is list:
            seq = []
            for v in obj:
                seq.append(v if type(v) in atoms else copy_field(v, container))
            return seq
        if kind in atoms:
            return obj
        return copy_field_slow(obj, container)

    def deepcopy(value: Any, memo: Any = None) -> Any:
        kind = type(value)
        if memo is None:
            if kind is dict or kind is OrderedDict:
                new = kind()
                for k, v in value.items():
                    new[k] = v if type(v) in atoms else deepcopy(v)
                return new
            if kind is list:
                seq = []
                for v in value:
                    seq.append(v if type(v) in atoms else deepcopy(v))
                return seq
            if kind in atoms:
                return value
        return deepcopy_slow(value, memo)

    patches = [
        (helpers, "patch_datetime_awareness_in_document", to_stored),
        (helpers, "make_datetime_timezone_aware_in_document", to_aware),
        (mongomock.collection, "_copy_field", copy_field),
        (Collection, "_copy_only_fields", copy_only_fields),
        # what mongomock's collection module sees as its ``copy`` module (it calls copy.copy and copy.deepcopy)
        (mongomock.collection, "copy", SimpleNamespace(copy=copy.copy, deepcopy=deepcopy)),
        # ... and as ``packaging.version``: it parses a version literal on every insert and every $set field
        # ("3.6", "4.0", ...), 1.5 µs each time; the parsed Version is immutable, so parse each literal once
        (mongomock.collection, "version", SimpleNamespace(parse=functools.lru_cache(maxsize=64)(version.parse))),
    ]
    for owner, name, fast in patches:
        _slow_copies.append((owner, name, getattr(owner, name)))
        setattr(owner, name, fast)
    helpers._zhiban_fast_copies = True  # type: ignore[attr-defined]


def make_client(url: str) -> Any:
    if url.startswith("memory://"):
        # one in-process client per memory URL, so the four services of the embedded mode share it
        if url not in _memory_clients:
            from mongomock_motor import AsyncMongoMockClient

            _speed_up_lookups()
            _speed_up_copies()
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
    """A duplicate ``_id`` (or unique key): one insert's DuplicateKeyError, or an ``insert_many`` whose every
    failure is a duplicate key (the other documents were inserted, with ``ordered=False``)."""
    from pymongo.errors import BulkWriteError, DuplicateKeyError

    if isinstance(exc, DuplicateKeyError):
        return True
    if isinstance(exc, BulkWriteError):
        details = exc.details or {}
        failures = details.get("writeErrors") or []
        return bool(failures) and all(f.get("code") == 11000 for f in failures) and \
            not details.get("writeConcernErrors")
    return False


async def aggregate(collection: Any, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PyMongo's async aggregate is awaited for a cursor; mongomock-motor returns the cursor directly."""
    cursor = collection.aggregate(pipeline)
    if hasattr(cursor, "__await__"):
        cursor = await cursor
    return await cursor.to_list(None)
