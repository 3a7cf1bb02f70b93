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
    # outbox events in flight at once on the real broker (sent in order, confirms awaited together); the runtime
    # keeps 1 on the in-process bus. An escalated incident adds ~40 events (its timers): one at a time, they held
    # the next incident's notify.send back for seconds at 20 reports/s
    outbox_publish_window: int = Field(default=32, ge=1, le=1000)
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
    # reports of one partition placed together under one claim, at most (service.py ``receive``)
    placement_batch: int = Field(default=256, ge=1, le=10_000)
    # unacknowledged reports in flight on the report pump's channel (real broker; report_pump.py)
    report_prefetch: int = Field(default=256, ge=1, le=65_535)
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # GB/T 2260 code of the region this duty office serves (any level); 4501 = 南宁市
    region: str = Field(default="450100", pattern=r"^\d{6}$")
    outbox_publish_window: int = Field(default=32, ge=1, le=1000)  # events in flight at once (real broker)
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
    # the official holiday table is kept by scheduling; escalation only reads the data file
    holidays_file: Path = Path(__file__).resolve().parents[1] / "services/scheduling/data/holidays.yaml"
    # who receives what goes "to the duty-room head" (overdue deadlines, late reviews); None = the shift leader
    duty_head_id: str | None = "p-head"
    # also keep every timer on the broker (fixed-TTL wait queues), so it fires even if the store was lost
    broker_timers: bool = True


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIBAN_NOTIFY_", extra="ignore", populate_by_name=True)
    service: str = "notify"
    http_port: int = 8003
    spool_dir: Path = Path("var/spool")
    # channel -> gateway names in failover order; a channel not listed goes to the spool (embedded mode)
    gateways: dict[str, list[str]] = Field(default_factory=dict)
    public_base_url: str = "http://127.0.0.1:8003"  # where Kannel posts receipts and people open ack links
    receipt_secrets: dict[str, str] = Field(default_factory=dict)  # gateway name -> secret in its callback URL
    ack_secret: str = ""  # HMAC key of ack links; empty: a random key per process (links die on restart)
    ack_link_hours: float = Field(default=24.0, gt=0)
    ack_timeouts_s: dict[str, float] = Field(default_factory=dict)  # channel -> silence tolerated (acks.py defaults)
    kannel_sendsms_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_username: str = "notify"
    kannel_password: str = ""
    kannel_sender: str = ""
    smpp_host: str = "127.0.0.1"
    smpp_port: int = 2775
    smpp_system_id: str = "notify"
    smpp_password: str = ""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    fax_mail_domain: str = "fax.localhost"
    fax_mail_from: str = "notify@localhost"
    hylafax_host: str = "127.0.0.1"
    hylafax_port: int = 4559
    hylafax_poll_s: float = Field(default=10.0, gt=0)  # JPARM STATE of a submitted fax job, until DONE/FAILED
    voice_ctrl_host: str = "127.0.0.1"
    voice_ctrl_port: int = 4444
    voice_tts_wav: Path = Path("var/tts.wav")
    send_attempts: int = Field(default=3, ge=1)  # tenacity, within one send (transient errors only)
    send_initial_wait_s: float = Field(default=0.2, ge=0)
    send_max_wait_s: float = Field(default=5.0, ge=0)
    retry_rounds: int = Field(default=3, ge=0)  # later rounds (durable timer) after a failed_temporary
    retry_after_s: float = Field(default=60.0, ge=0)
    breaker_threshold: int = Field(default=5, ge=1)
    breaker_cooldown_s: float = Field(default=30.0, ge=0)
    gateway_rate_per_s: float = Field(default=20.0, gt=0)
    gateway_burst: float = Field(default=40.0, ge=1)
    recipient_limit: int = Field(default=10, ge=1)  # messages to one person per window
    recipient_window_s: float = Field(default=900.0, gt=0)
    send_lease_s: float = Field(default=120.0, gt=0)  # a `sending` claim older than this belongs to a dead process
    office: str = "市政府办公室"
    masthead: str = "南宁市人民政府办公室"
    fax_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    notice_first_reminder_s: float = Field(default=3600.0, ge=0)
    notice_reminder_every_s: float = Field(default=3600.0, gt=0)
    drill_send_delay_s: float = Field(default=0.0, ge=0)  # drills/tests only: pause after the gateway took a message
    # a local send journal for gateways that cannot be asked (gateways/journal.py): for a store that does not
    # survive a crash (memory://); with MongoDB the step's claim already does this
    send_journal_dir: Path | None = None


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
    itinerary_weekly_due_weekday: int = Field(default=4, ge=0, le=6)  # 0 = Monday … 4 = Friday
    itinerary_reminder_minutes: int = Field(default=120, ge=0)  # before a deadline, to those not yet submitted
    itinerary_tables_after_minutes: int = Field(default=30, ge=0)  # after it, the four tables to the SG
    itinerary_daily_on_rest_days: bool = False
    itinerary_tables_to: list[str] = Field(default_factory=list)  # person ids; empty = people titled 秘书长
    document_link_days: int = Field(default=7, ge=1)
    document_link_secret: str = "change-me-scheduling-document-secret"
    public_base_url: str = "http://127.0.0.1:8004"  # how a person's browser reaches this service
    timer_max_attempts: int = Field(default=5, ge=1)
    timer_retry_seconds: float = Field(default=30.0, gt=0)
    timer_lease_seconds: float = Field(default=600.0, gt=0)
    roster_part_max_bytes: int = Field(default=64 * 1024, ge=4096)  # roster.published is split to stay under this
