"""How backups and restores are reported on the command line."""

from __future__ import annotations

from bot.services.maintenance.backup import BackupError, Problem, Written
from bot.texts.catalog import N_, Translator

PROBLEMS = {
    Problem.UNSUPPORTED: N_("backup.unsupported"),
    Problem.BOT_RUNNING: N_("backup.bot_running"),
    Problem.NO_DATABASE: N_("backup.no_database"),
    Problem.NO_FILE: N_("backup.no_file"),
    Problem.NOT_A_BACKUP: N_("backup.not_a_backup"),
    Problem.UNKNOWN_REVISION: N_("backup.unknown_revision"),
    Problem.CORRUPT: N_("backup.corrupt"),
    Problem.BAD_TARGET: N_("backup.bad_target"),
    Problem.NO_TOOL: N_("backup.no_tool"),
    Problem.TOOL_FAILED: N_("backup.tool_failed"),
}
SIZES = {"pages": N_("backup.size.pages"), "kb": N_("backup.size.kb")}


def backup_problem(t: Translator, error: BackupError) -> str:
    """Why a backup or restore was refused, in one line."""
    return t.plain(PROBLEMS[error.problem], **error.values)


def backup_size(t: Translator, written: Written) -> str:
    """Say how big a backup is: "12 trang" or "340 KB"."""
    return t.plain(SIZES[written.unit], amount=written.amount)
