"""Run the sandbox on its own: `python -m bot.sandbox [--port N] [--unlimited] [--latency S]`.

Prints "SANDBOX <port> <token>" on its first line, then serves until interrupted. Benchmarks
run it in a separate process so that the bot under test does not share a CPU with it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.sandbox.flood import FloodConfig
from bot.sandbox.server import Sandbox, SandboxConfig

UNLIMITED = FloodConfig(
    global_per_second=1_000_000,
    chat_per_second=1_000_000.0,
    chat_burst=1_000_000,
    group_per_minute=1_000_000,
)


async def serve(port: int, unlimited: bool, latency: float) -> None:
    """Start the sandbox and wait forever."""
    config = SandboxConfig(latency=latency)
    if unlimited:
        config.flood = UNLIMITED
    sandbox = Sandbox(config)
    await sandbox.start(port)
    print(f"SANDBOX {sandbox.port} {config.token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--unlimited", action="store_true", help="lift the flood limits")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.unlimited, args.latency))


if __name__ == "__main__":
    main()
