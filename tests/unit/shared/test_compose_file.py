"""docker-compose.yml parses, names every service with a healthcheck, keeps intake scalable, and binds
published ports to loopback only. (No Docker engine here: the file is checked, not run.)"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_every_service_is_there_with_a_healthcheck() -> None:
    services = compose()["services"]
    assert set(services) == {"rabbitmq", "mongo", "intake", "escalation", "notify", "scheduling"}
    for name, spec in services.items():
        assert spec.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_mongo_runs_as_a_replica_set_and_services_use_it() -> None:
    services = compose()["services"]
    assert "--replSet" in services["mongo"]["command"]
    for name in ("intake", "escalation", "notify", "scheduling"):
        env = services[name]["environment"]
        assert env["ZHIBAN_STORE_URL"].startswith("mongodb://") and "replicaSet=rs0" in env["ZHIBAN_STORE_URL"]
        assert env["AMQP_URL"].startswith("amqp://")
        assert services[name]["command"][:3] == ["zhiban", "serve", name]
        assert services[name]["depends_on"]["rabbitmq"]["condition"] == "service_healthy"


def test_intake_can_scale_out() -> None:
    intake = compose()["services"]["intake"]
    assert "ports" not in intake and "container_name" not in intake  # fixed host ports would forbid --scale


def test_published_ports_are_loopback_only() -> None:
    for name, spec in compose()["services"].items():
        for port in spec.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_rabbitmq_has_the_management_ui() -> None:
    assert "management" in compose()["services"]["rabbitmq"]["image"]
