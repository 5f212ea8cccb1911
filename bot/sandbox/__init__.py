"""A local stand-in for the Telegram Bot API, for tests, benchmarks and the demo."""

from bot.sandbox.server import Sandbox, SandboxConfig, running_sandbox

__all__ = ["Sandbox", "SandboxConfig", "running_sandbox"]
