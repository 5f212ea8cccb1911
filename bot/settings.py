"""Settings from the environment or `.env`: the contract's single source of configuration."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ReportPeriod = Literal["weekly", "monthly"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_BACKENDS = ("sqlite", "postgresql")
CLOCK = re.compile(r"(\d{1,2}):(\d{2})")

# Error types of our own: the CLI renders each with the catalog (bot/cli/main.py).
CLOCK_TIME = "clock_time"
TIME_RANGE = "time_range"
TIME_ZONE = "time_zone"
LOG_LEVEL = "log_level"
DATABASE_URL = "database_url"
DATABASE_FOLDER = "database_folder"
DATABASE_FILE = "database_file"
ADMIN_ID = "admin_id"
WEBHOOK_URL = "webhook_url"
WEBHOOK_SECRET = "webhook_secret"  # noqa: S105 - an error type, not a secret
WEBHOOK_LISTEN = "webhook_listen"
LEASE = "lease"

# What Telegram accepts: setWebhook's secret_token, and the ports it delivers webhooks to.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_PORTS = (None, 443, 80, 88, 8443)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _problem(kind: str, value: object) -> PydanticCustomError:
    """A validation error the CLI turns into one catalog line."""
    return PydanticCustomError(kind, "{value}", {"value": str(value)})


def check_clock(value: str) -> str:
    """Return "HH:MM" for a real time of day (00:00–23:59), or raise."""
    match = CLOCK.fullmatch(value.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise _problem(CLOCK_TIME, value)
    return f"{int(match[1]):02d}:{match[2]}"


def _nearest_existing(path: Path) -> Path:
    """The path itself or its closest ancestor that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_database_url(value: str) -> str:
    """Refuse a URL SQLAlchemy cannot read, an unknown backend, or an unwritable SQLite file."""
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        shown = value.split("://", 1)[0] + "://…" if "://" in value else value[:40]
        raise _problem(DATABASE_URL, shown) from None
    if url.get_backend_name() not in DATABASE_BACKENDS:
        raise _problem(DATABASE_URL, url.drivername)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return value
    if url.query.get("uri") == "true" or str(url.database).startswith("file:"):
        return value  # a SQLite URI (e.g. mode=ro) says for itself what it may do
    path = Path(str(url.database))
    if path.exists():
        if path.is_dir() or not os.access(path, os.R_OK | os.W_OK):
            raise _problem(DATABASE_FILE, path)
        return value
    existing = _nearest_existing(path.parent.absolute())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise _problem(DATABASE_FOLDER, path.parent)
    return value


def check_webhook_url(value: str) -> str:
    """Empty (long polling), or an https URL Telegram can deliver to (http on loopback only)."""
    value = value.strip()
    if not value:
        return value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise _problem(WEBHOOK_URL, value) from None
    loopback = parts.hostname in LOOPBACK_HOSTS
    if (
        not parts.hostname
        or parts.fragment
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not loopback)
        or (not loopback and port not in WEBHOOK_PORTS)
    ):
        raise _problem(WEBHOOK_URL, value)
    return value


def check_listen(value: str) -> tuple[str, int]:
    """Split "host:port" (an IPv6 host in brackets) into its parts, or raise."""
    host, colon, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise _problem(WEBHOOK_LISTEN, value)
    return host, int(port)


class Settings(BaseSettings):
    """Every knob of the bot; `.env.example` lists each one with a comment."""

    # `inf` and `nan` are no rate, timeout or percentage.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", allow_inf_nan=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    bot_username: str = ""
    database_url: str = Field(default="sqlite+aiosqlite:///data/binhdan.db", validate_default=True)
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    timezone: str = "Asia/Ho_Chi_Minh"
    course_url: str = "https://binhdanhocvuso.gov.vn"
    commune_name: str = "Ea Knốp"
    # The province a deployment serves when its unit file names several communes.
    province_name: str = "Đắk Lắk"
    report_period: ReportPeriod = "weekly"
    target_percent: float = Field(default=90.0, gt=0, le=100)
    # /bieuduong proposes this many places for the highest share and for the biggest rise.
    commend_top: int = Field(default=3, ge=1, le=20)

    # The report's signature block (NĐ 30/2020): who prepares the table, and who signs it.
    report_preparer_name: str = ""
    report_signer_authority: str = "KT. CHỦ TỊCH"
    report_signer_title: str = "PHÓ CHỦ TỊCH"
    report_signer_name: str = ""

    report_deadline_weekday: int = Field(default=4, ge=0, le=6)
    report_deadline_day: int = Field(default=14, ge=1, le=28)
    report_deadline_time: str = "17:00"
    quiet_hours: str = "21:00-06:30"
    rest_on_sundays: bool = True
    rest_on_holidays: bool = True
    schedule_grace_hours: float = Field(default=6.0, ge=0)

    invite_max_uses: int = Field(default=5, ge=1)
    invite_ttl_days: int = Field(default=60, ge=1)
    conversation_timeout_seconds: int = Field(default=600, ge=30)

    # Photos and documents heads send as evidence; empty: "evidence" beside the SQLite file.
    evidence_dir: str = ""
    evidence_max_mb: int = Field(default=20, ge=1, le=2000)

    # Many chats at once: their reports are written together (one transaction per batch).
    update_concurrency: int = Field(default=64, ge=1)
    http_connections: int = Field(default=8, ge=1)
    http_read_timeout_seconds: float = Field(default=10.0, gt=0)
    send_rate_per_second: float = Field(default=29.0, gt=0)
    send_chat_interval_seconds: float = Field(default=1.0, ge=0)
    send_chat_burst: int = Field(default=1, ge=1)
    send_group_per_minute: int = Field(default=20, ge=1)
    send_concurrency: int = Field(default=8, ge=1)
    send_max_attempts: int = Field(default=5, ge=1)
    send_retry_base_seconds: float = Field(default=2.0, gt=0)

    # Floods: each user may send this many updates per second on average, in bursts of this
    # many; beyond it updates are dropped with one notice per episode.
    user_rate_per_second: float = Field(default=1.0, gt=0)
    user_burst: int = Field(default=8, ge=1)
    # Wrong invite codes: after this many in the window, /start CODE is refused for the window.
    invite_failures_allowed: int = Field(default=5, ge=1)
    invite_lockout_minutes: int = Field(default=30, ge=1)
    # Received updates are kept this many days after they were handled, then pruned.
    inbox_keep_days: int = Field(default=7, ge=1)
    # `binhdan run` tries this many times to reach the Bot API at start (waits 1, 2, 4 … 30 s).
    startup_attempts: int = Field(default=8, ge=1)

    # Webhook mode: Telegram posts updates to WEBHOOK_URL (empty: long polling). Every process
    # is then a worker listening on WEBHOOK_LISTEN (host:port) at the URL's path, behind a TLS
    # proxy; WEBHOOK_SECRET is checked on every update.
    webhook_url: str = ""
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen: str = "127.0.0.1:8081"
    # Several processes on one database: how often a standby tries to become the leader (and
    # the leader checks its database connection), and how long a claim on a delivery or a
    # chat holds without being renewed (a dead process's work is taken over after it).
    leader_check_seconds: float = Field(default=1.0, gt=0, le=60)
    lease_seconds: float = Field(default=15.0, ge=1, le=3600)

    log_level: str = "INFO"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        """Accept "1, 2,3" as well as a list, so `.env` stays human-friendly."""
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            for part in parts:
                if not (part.isascii() and part.isdigit()):
                    raise _problem(ADMIN_ID, part)
            return tuple(int(part) for part in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """Refuse an unknown zone at start rather than at the first scheduled job."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _problem(TIME_ZONE, value) from None
        return value

    @field_validator("report_deadline_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        """A real time of day, so it can never reach a stored schedule otherwise."""
        return check_clock(value)

    @field_validator("quiet_hours")
    @classmethod
    def _time_range(cls, value: str) -> str:
        """Two real times of day, "HH:MM-HH:MM" (the range may cross midnight)."""
        start, dash, end = value.partition("-")
        try:
            if not dash:
                raise _problem(TIME_RANGE, value)
            return f"{check_clock(start)}-{check_clock(end)}"
        except PydanticCustomError:
            raise _problem(TIME_RANGE, value) from None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        """One of Python's level names."""
        if value.strip().upper() not in LOG_LEVELS:
            raise _problem(LOG_LEVEL, value)
        return value.strip().upper()

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, value: str) -> str:
        """A URL SQLAlchemy reads, for a backend we support, with a writable SQLite file."""
        return check_database_url(value)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        """An https URL on a port Telegram delivers to, or empty."""
        return check_webhook_url(value)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Required in webhook mode; 1–256 of A-Z a-z 0-9 _ - (Telegram's rule)."""
        if value is not None and not value.get_secret_value():
            value = None
        if value is None:
            if info.data.get("webhook_url"):
                raise _problem(WEBHOOK_SECRET, "")
            return None
        if not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise _problem(WEBHOOK_SECRET, "***")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _webhook_listen(cls, value: str) -> str:
        """host:port to bind the webhook receiver."""
        check_listen(value)
        return value.strip()

    @field_validator("lease_seconds")
    @classmethod
    def _lease_outlasts_checks(cls, value: float, info: ValidationInfo) -> float:
        """A lease is renewed every few checks, so it must outlast three of them."""
        check = info.data.get("leader_check_seconds")
        if check is not None and value < 3 * check:
            raise _problem(LEASE, value)
        return value

    @property
    def webhook_mode(self) -> bool:
        """Whether Telegram delivers to a webhook (every process a worker) or is polled."""
        return bool(self.webhook_url)

    def secrets(self) -> tuple[SecretStr | str | None, ...]:
        """What no log line may show: the token, the webhook secret, secret-like path parts."""
        # A path part this long is a random token (as deployments make them), not a word.
        path_tokens = [part for part in self.webhook_path.split("/") if len(part) >= 16]
        return (self.telegram_bot_token, self.webhook_secret, *path_tokens)

    @property
    def webhook_path(self) -> str:
        """The path the receiver answers on: WEBHOOK_URL's path ("/" when it has none)."""
        return urlsplit(self.webhook_url).path or "/"

    @property
    def listen_address(self) -> tuple[str, int]:
        """WEBHOOK_LISTEN as (host, port)."""
        return check_listen(self.webhook_listen)

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
