"""deploy/: the Compose file reads and wires what the README promises; the systemd units verify."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_starts_postgres_then_migrates_once_then_the_workers() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "bot", "caddy"}
    postgres = services["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    bot = services["bot"]
    assert bot["command"] == ["run"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])
    assert "replicas" in bot["deploy"]
    assert bot["stop_grace_period"] == "45s"  # longer than the outbox's last flush (30 s)
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    caddy = services["caddy"]
    assert "443:443" in caddy["ports"]
    assert caddy["depends_on"]["bot"]["condition"] == "service_healthy"


def test_the_workers_listen_where_the_proxy_sends() -> None:
    bot = _compose()["services"]["bot"]
    listen = bot["environment"]["WEBHOOK_LISTEN"]
    port = listen.rsplit(":", 1)[1]
    url = bot["environment"]["WEBHOOK_URL"]
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert re.search(rf"dynamic a bot {port}\b", caddyfile)
    # The URL's path is under the one path the proxy forwards.
    proxied = re.search(r"@webhook path (\S+)\*", caddyfile)
    assert proxied is not None and url.split("}", 1)[1].startswith(proxied[1])
    # The values the file gives are settings the bot accepts.
    settings = Settings.model_validate(
        {
            "webhook_url": "https://bot.example.vn/telegram/abc",
            "webhook_secret": "s3cret_-",
            "webhook_listen": listen,
        }
    )
    assert settings.listen_address == ("0.0.0.0", int(port))


def test_the_env_example_names_what_compose_needs() -> None:
    names = set(re.findall(r"\$\{(\w+)", (DEPLOY / "docker-compose.yml").read_text()))
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    assert names - {"BOT_WORKERS"} <= set(re.findall(r"^(\w+)=", example, re.MULTILINE))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
def test_systemd_units_verify(tmp_path: Path) -> None:
    units = [DEPLOY / "systemd" / "binhdan-migrate.service"]
    # A templated unit is verified through an instance of it.
    instance = tmp_path / "binhdan@1.service"
    instance.write_text((DEPLOY / "systemd" / "binhdan@.service").read_text(encoding="utf-8"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, [*units, instance])],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # The program is installed where the README says, not on the test machine.
        if line.strip() and "/opt/binhdan/.venv/bin/binhdan is not executable" not in line
    ]
    assert problems == []


def test_the_worker_unit_stops_gracefully() -> None:
    unit = (DEPLOY / "systemd" / "binhdan@.service").read_text(encoding="utf-8")
    assert "KillSignal=SIGTERM" in unit
    timeout = re.search(r"TimeoutStopSec=(\d+)", unit)
    assert timeout is not None and int(timeout[1]) > 30
    assert "Requires=binhdan-migrate.service" in unit
    assert "WEBHOOK_LISTEN=127.0.0.1:808%i" in unit


def test_every_setting_is_in_env_example_and_the_readme() -> None:
    root = DEPLOY.parent
    example = (root / ".env.example").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    names = [name.upper() for name in Settings.model_fields]
    assert [n for n in names if f"\n{n}=" not in example] == []
    assert [n for n in names if f"| `{n}` |" not in readme] == []


def test_commands_in_the_container_see_imports_backups_and_evidence() -> None:
    services = _compose()["services"]
    for name in ("migrate", "bot"):
        volumes = services[name]["volumes"]
        assert "./import:/import:ro" in volumes and "./backups:/backups" in volumes
        assert "evidence:/data/evidence" in volumes
    assert (DEPLOY / "import" / ".gitignore").is_file() and (DEPLOY / "backups").is_dir()


def test_the_image_has_pg_dump_of_the_servers_major_version() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    major = re.search(r"ARG PG_MAJOR=(\d+)", dockerfile)
    assert major is not None and '"postgresql-client-${PG_MAJOR}"' in dockerfile
    server = _compose()["services"]["postgres"]["image"]
    assert server == f"postgres:{major[1]}"


def test_systemd_units_keep_sqlite_and_evidence_where_they_may_write() -> None:
    for name in ("binhdan@.service", "binhdan-migrate.service"):
        unit = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        # systemd makes /var/lib/binhdan for the user: the one folder ProtectSystem leaves.
        assert "StateDirectory=binhdan" in unit and "ProtectSystem=strict" in unit, name
        assert "WorkingDirectory=/var/lib/binhdan\n" in unit, name
    # The default database (and the evidence beside it) is relative: inside that folder.
    default = Settings.model_fields["database_url"].default
    assert default.startswith("sqlite+aiosqlite:///") and not default.startswith(
        "sqlite+aiosqlite:////"
    )
