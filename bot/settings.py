"""Settings from the environment or `.env`: the contract's single source of configuration."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

ReportPeriod = Literal["weekly", "monthly"]


class Settings(BaseSettings):
    """Every knob of the bot; `.env.example` lists each one with a comment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    bot_username: str = ""
    database_url: str = "sqlite+aiosqlite:///data/binhdan.db"
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    timezone: str = "Asia/Ho_Chi_Minh"
    course_url: str = "https://binhdanhocvuso.gov.vn"
    commune_name: str = "Ea Knốp"
    report_period: ReportPeriod = "weekly"
    target_percent: float = Field(default=90.0, ge=0, le=100)

    # The report's signature block (NĐ 30/2020): who prepares the table, and who signs it.
    report_preparer_name: str = ""
    report_signer_authority: str = "KT. CHỦ TỊCH"
    report_signer_title: str = "PHÓ CHỦ TỊCH"
    report_signer_name: str = ""

    report_deadline_weekday: int = Field(default=4, ge=0, le=6)
    report_deadline_day: int = Field(default=14, ge=1, le=28)
    report_deadline_time: str = Field(default="17:00", pattern=r"^\d{2}:\d{2}$")
    quiet_hours: str = Field(default="21:00-06:30", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    rest_on_sundays: bool = True
    rest_on_holidays: bool = True
    schedule_grace_hours: float = Field(default=6.0, ge=0)

    invite_max_uses: int = Field(default=5, ge=1)
    invite_ttl_days: int = Field(default=60, ge=1)
    conversation_timeout_seconds: int = Field(default=600, ge=30)

    # Photos and documents heads send as evidence; empty: "evidence" beside the SQLite file.
    evidence_dir: str = ""
    evidence_max_mb: int = Field(default=20, ge=1, le=2000)

    update_concurrency: int = Field(default=16, ge=1)
    http_connections: int = Field(default=8, ge=1)
    http_read_timeout_seconds: float = Field(default=10.0, gt=0)
    send_rate_per_second: float = Field(default=29.0, gt=0)
    send_chat_interval_seconds: float = Field(default=1.0, ge=0)
    send_chat_burst: int = Field(default=1, ge=1)
    send_group_per_minute: int = Field(default=20, ge=1)
    send_concurrency: int = Field(default=8, ge=1)
    send_max_attempts: int = Field(default=5, ge=1)
    send_retry_base_seconds: float = Field(default=2.0, gt=0)

    log_level: str = "INFO"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        """Accept "1, 2,3" as well as a list, so `.env` stays human-friendly."""
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            for part in parts:
                if not part.isdigit():
                    raise ValueError(f"ADMIN_IDS: '{part}' is not a Telegram user id")
            return tuple(int(part) for part in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """Refuse an unknown zone at start rather than at the first scheduled job."""
        ZoneInfo(value)
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The commune's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def evidence_path(self) -> Path:
        """Where evidence files go: EVIDENCE_DIR, or "evidence" beside the SQLite file."""
        if self.evidence_dir:
            return Path(self.evidence_dir)
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).parent / "evidence"
        return Path("data") / "evidence"

    @property
    def evidence_max_bytes(self) -> int:
        """The largest evidence file downloaded (the Bot API serves files up to 20 MB)."""
        return self.evidence_max_mb * 1024 * 1024


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
