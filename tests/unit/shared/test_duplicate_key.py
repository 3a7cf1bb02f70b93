"""``is_duplicate_key``: what counts as "that document is there already" for one insert and for a batch."""

from __future__ import annotations

import uuid

import pytest
from pymongo.errors import BulkWriteError, WriteError

from shared.store import database, is_duplicate_key


async def test_one_insert_and_an_unordered_batch_whose_only_failures_are_duplicates() -> None:
    collection = database(f"memory://dup-{uuid.uuid4().hex}", "t")["c"]
    await collection.insert_one({"_id": "a"})
    with pytest.raises(Exception) as one:
        await collection.insert_one({"_id": "a"})
    assert is_duplicate_key(one.value)
    with pytest.raises(BulkWriteError) as many:
        await collection.insert_many([{"_id": "b"}, {"_id": "a"}, {"_id": "c"}], ordered=False)
    assert is_duplicate_key(many.value)
    assert sorted(d["_id"] for d in await collection.find({}).to_list(None)) == ["a", "b", "c"]


def test_other_failures_are_not_duplicates() -> None:
    assert not is_duplicate_key(WriteError("document too large", code=10334))
    mixed = BulkWriteError({"writeErrors": [{"code": 11000}, {"code": 121}], "writeConcernErrors": []})
    assert not is_duplicate_key(mixed)
    assert not is_duplicate_key(BulkWriteError({"writeErrors": [], "writeConcernErrors": []}))
    assert not is_duplicate_key(ValueError("not a store error"))
