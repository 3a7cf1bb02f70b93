"""Generated documents: the AsyncAPI description of the bus (from the apps' own subscribers, not written by
hand) and the JSON Schema of every message contract. ``make docs`` writes them; a test fails when stale."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from faststream.specification import AsyncAPI

from services.app import SERVICES, build_components
from shared.bus import make_broker
from shared.clock import SystemClock
from shared.contracts import ALL_CONTRACTS
from shared.settings import ServiceSettings

DOCS = Path(__file__).resolve().parents[1] / "docs"

DESCRIPTION = (
    "Zhiban (值班) message bus. County and department systems publish zhiban.report/1 reports to the topic "
    "exchange `zhiban.events` with routing key `report.<area-code>.<system>`; the services exchange domain "
    "events (past tense) and commands (imperative) on the same exchange. Undeliverable or invalid messages "
    "are parked on `zhiban.parking`."
)


def asyncapi_yaml() -> str:
    overrides = {"store_url": "memory://docs", "amqp_url": "amqp://guest:guest@127.0.0.1:5672/"}
    broker = make_broker(ServiceSettings.build(**overrides))
    for component in build_components(list(SERVICES), broker=broker, clock=SystemClock(), overrides=overrides,
                                      seed_demo=False):
        for router in [*component.bus_routers, *component.in_memory_routers]:
            broker.include_router(router)
    spec = AsyncAPI(broker, title="Zhiban 值班 bus", version="1", description=DESCRIPTION)
    # FastStream's channel order varies between runs; sort so the committed file is reproducible
    document = yaml.safe_load(spec.to_specification().to_yaml())
    return yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=110)


def contract_schemas() -> dict[str, str]:
    out = {}
    for name, model in ALL_CONTRACTS.items():
        file = name.replace("zhiban.", "").replace("/", ".v") + ".schema.json"
        schema = model.model_json_schema(by_alias=True)
        schema["$id"] = name
        out[file] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return out


def write() -> list[Path]:
    written = []
    (DOCS / "contracts").mkdir(parents=True, exist_ok=True)
    target = DOCS / "asyncapi.yaml"
    target.write_text(asyncapi_yaml(), encoding="utf-8")
    written.append(target)
    for file, text in contract_schemas().items():
        path = DOCS / "contracts" / file
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path.relative_to(DOCS.parent))
