"""One settings base; each service subclasses it with its own env prefix (ZHIBAN_INTAKE_ ...).

Common values fall back to the un-prefixed ZHIBAN_ variables, so one AMQP_URL serves all four.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _common(name: str, prefix: str) -> AliasChoices:
    return AliasChoices(f"{prefix}{name}", f"ZHIBAN_{name}", name)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIBAN_", extra="ignore", populate_by_name=True)

    service: str = "zhiban"
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/", validation_alias=AliasChoices("ZHIBAN_AMQP_URL", "AMQP_URL")
    )
    store_url: str = Field(default="memory://", validation_alias=AliasChoices("ZHIBAN_STORE_URL", "STORE_URL"))
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    max_message_bytes: int = Field(default=256 * 1024, gt=0)
    max_http_body_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    delivery_limit: int = Field(default=5, ge=1)
    retry_delay_ms: int = Field(default=2000, ge=10)
    max_retries: int = Field(default=30, ge=0)  # delayed retries of a transient failure before parking
    prefetch: int = Field(default=32, ge=1)
    users_file: Path | None = Field(default=None, validation_alias=AliasChoices("ZHIBAN_USERS_FILE"))
    log_json: bool = True
    outbox_poll_seconds: float = 0.5
    timer_poll_seconds: float = 1.0

    @classmethod
    def build(cls, **overrides: Any) -> Self:
        """Settings where explicit overrides beat the environment (also for fields read by alias)."""
        mapped: dict[str, Any] = {}
        for name, value in overrides.items():
            field = cls.model_fields.get(name)
            alias = field.validation_alias if field else None
            mapped[alias.choices[0] if isinstance(alias, AliasChoices) else name] = value  # type: ignore[index]
        return cls(**mapped)


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIBAN_INTAKE_", extra="ignore", populate_by_name=True)
    service: str = "intake"
    http_port: int = 8001
    # source.system -> RabbitMQ user allowed to publish for it; empty = only the guest/dev user is trusted
    system_users: dict[str, str] = Field(default_factory=dict)
    batch_limit: int = Field(default=100, ge=1)
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # GB/T 2260 code of the region this duty office serves (any level); 4501 = 南宁市
    region: str = Field(default="450100", pattern=r"^\d{6}$")
    # report.<area>.<system> split by city over this many queues (see docs/intake-scale-out.md)
    partitions: int = Field(default=1, ge=1, le=64)
    partition_ids: list[int] | None = None  # the partitions this process consumes; None = all
    cap_system: str = "cap-warning"  # source.system given to CAP alerts posted without a unit-system token


class EscalationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIBAN_ESCALATION_", extra="ignore", populate_by_name=True)
    service: str = "escalation"
    http_port: int = 8002
    rules_file: Path = Path(__file__).resolve().parents[1] / "services/escalation/rules/default.yaml"
    on_duty_timeout_s: float = 5.0


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIBAN_NOTIFY_", extra="ignore", populate_by_name=True)
    service: str = "notify"
    http_port: int = 8003
    spool_dir: Path = Path("var/spool")


class SchedulingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIBAN_SCHEDULING_", extra="ignore", populate_by_name=True)
    service: str = "scheduling"
    http_port: int = 8004
