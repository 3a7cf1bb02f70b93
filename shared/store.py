"""The store factory: ``mongodb://…`` → PyMongo's AsyncMongoClient; ``memory://`` → mongomock-motor.

``memory://`` is an in-process STAND-IN for MongoDB (no server can be installed on our machines); it is
used by the embedded mode and the tests. Production (docker compose) runs a real MongoDB replica set.
Services use only the API subset both share, plus the helpers below for the calls whose shape differs.
"""

from __future__ import annotations

from typing import Any

_memory_clients: dict[str, Any] = {}


def _speed_up_id_lookups() -> None:
    """mongomock answers every query by scanning the whole collection, so looking a document up by its
    ``_id`` costs O(n) — 8 ms at 2,000 documents. A real MongoDB uses the _id index; so does the stand-in
    after this: a filter on a plain ``_id`` value reads that one document and still goes through mongomock's
    own matcher, so the answer is unchanged."""
    from mongomock.collection import Collection
    from mongomock.filtering import filter_applies

    if getattr(Collection, "_zhiban_id_fast_path", False):
        return
    scan = Collection._iter_documents

    def iter_documents(self: Any, filter: Any) -> Any:  # noqa: A002 - mongomock's name
        if isinstance(filter, dict) and len(filter) == 1 and "_id" in filter:
            key = filter["_id"]
            if not isinstance(key, dict | list):
                store = self._store
                document = store[key] if key in store else None
                return iter([document] if document is not None and filter_applies(filter, document) else [])
        return scan(self, filter)

    Collection._iter_documents = iter_documents  # type: ignore[method-assign]
    Collection._zhiban_id_fast_path = True  # type: ignore[attr-defined]


def make_client(url: str) -> Any:
    if url.startswith("memory://"):
        # one in-process client per memory URL, so the four services of the embedded mode share it
        if url not in _memory_clients:
            from mongomock_motor import AsyncMongoMockClient

            _speed_up_id_lookups()
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
