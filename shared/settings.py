"""One settings base; each service subclasses it with its own env prefix (ZHIBAN_INTAKE_ ...).

Common values fall back to the un-prefixed ZHIBAN_ variables, so one AMQP_URL serves all four.
"""

from __future__ import annotations

from pathlib import Path

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
    delivery_limit: int = Field(default=5, ge=1)
    retry_delay_ms: int = Field(default=2000, ge=10)
    prefetch: int = Field(default=32, ge=1)
    users_file: Path | None = Field(default=None, validation_alias=AliasChoices("ZHIBAN_USERS_FILE"))
    log_json: bool = True
    outbox_poll_seconds: float = 0.5
    timer_poll_seconds: float = 1.0


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIBAN_INTAKE_", extra="ignore", populate_by_name=True)
    service: str = "intake"
    http_port: int = 8001
    # source.system -> RabbitMQ user allowed to publish for it; empty = only the guest/dev user is trusted
    system_users: dict[str, str] = Field(default_factory=dict)
    batch_limit: int = Field(default=100, ge=1)
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)


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
    # scheduling: handover, vacancy and itinerary timing (appended)
    handover_morning: str = "08:00"
    handover_end_of_day: str = "17:30"
    handover_reminder_minutes: int = Field(default=10, ge=0)
    handover_confirm_minutes: int = Field(default=15, ge=1)
    vacancy_lead_minutes: int = Field(default=120, ge=0)
    itinerary_weekly_deadline: str = "17:30"
    itinerary_daily_deadline: str = "17:30"
    feed_key_secret: str = "change-me-scheduling-feed-secret"
