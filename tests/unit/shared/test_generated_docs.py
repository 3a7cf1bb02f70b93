"""docs/asyncapi.yaml and docs/contracts/ are generated from the code; this fails when they are stale."""

from __future__ import annotations

from services.docs import DOCS, asyncapi_yaml, contract_schemas

HOW = "regenerate with `make docs` and commit the result"


def test_asyncapi_document_is_current() -> None:
    current = (DOCS / "asyncapi.yaml").read_text(encoding="utf-8")
    assert current == asyncapi_yaml(), f"docs/asyncapi.yaml is stale: {HOW}"


def test_asyncapi_names_every_consumer_queue() -> None:
    from shared.topology import CONSUMERS

    text = asyncapi_yaml()
    missing = [name for name in CONSUMERS if name not in text]
    assert not missing, f"queues missing from the AsyncAPI document: {missing}"


def test_contract_schemas_are_current() -> None:
    for file, text in contract_schemas().items():
        path = DOCS / "contracts" / file
        assert path.exists() and path.read_text(encoding="utf-8") == text, f"{path} is stale: {HOW}"
