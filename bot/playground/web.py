"""The playground's page and its small API, mounted on the sandbox's aiohttp server.

The page drives the bot only through the sandbox's control API (/_sandbox/…) and follows it
through its event stream; what it needs beyond that (people, QR codes, the schedules and the
outbox for the training panel) is served here under /_play/.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"
MAX_NAME = 40
MAX_QR_TEXT = 512


class BotHooks(Protocol):
    """What the training panel asks of the running bot (provided by the runner)."""

    async def schedules(self) -> list[dict[str, Any]]:
        """The schedules: id, kind, label, rule, enabled."""

    async def run_schedule(self, schedule_id: int) -> int | None:
        """Fire one schedule now; return how many messages it queued."""

    async def outbox(self) -> dict[str, Any]:
        """Delivery counts by status and the latest deliveries."""


@dataclass
class Person:
    """Someone the page can be: a Telegram user id, a name and what they are."""

    user_id: int
    name: str
    role: str  # admin, officer, head, stranger, or newcomer (added on the page)
    unit: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Serialise for the page."""
        return asdict(self)


@dataclass
class Playground:
    """The people on the page, the bot's name, and the hooks once the bot runs."""

    people: list[Person]
    bot_username: str
    hooks: BotHooks | None = None
    next_user_id: int = 920_001
    notes: list[str] = field(default_factory=list)

    def add_person(self, name: str) -> Person:
        """Add a newcomer (not registered yet) with a fresh user id."""
        person = Person(self.next_user_id, name, "newcomer")
        self.next_user_id += 1
        self.people.append(person)
        return person


def qr_svg(text: str) -> bytes:
    """A QR code as SVG, drawn here so the page needs nothing from the internet."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def add_routes(app: web.Application, playground: Playground) -> None:
    """Attach the page, its assets and /_play/… to the sandbox's application."""

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def config(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "people": [p.to_json() for p in playground.people],
                "bot_username": playground.bot_username,
                "training": playground.hooks is not None,
            }
        )

    async def add_person(request: web.Request) -> web.Response:
        body = await request.json()
        name = " ".join(str(body.get("name") or "").split())[:MAX_NAME]
        if not name:
            raise web.HTTPBadRequest(text="tên trống")
        return web.json_response(playground.add_person(name).to_json())

    async def qr(request: web.Request) -> web.Response:
        text = request.query.get("text", "")
        if not text or len(text) > MAX_QR_TEXT:
            raise web.HTTPBadRequest(text="text must be 1-512 characters")
        return web.Response(body=qr_svg(text), content_type="image/svg+xml")

    def hooks() -> BotHooks:
        if playground.hooks is None:
            raise web.HTTPServiceUnavailable(text="bot not running")
        return playground.hooks

    async def schedules(request: web.Request) -> web.Response:
        return web.json_response({"schedules": await hooks().schedules()})

    async def run_schedule(request: web.Request) -> web.Response:
        recipients = await hooks().run_schedule(int(request.match_info["schedule_id"]))
        return web.json_response({"recipients": recipients})

    async def outbox(request: web.Request) -> web.Response:
        return web.json_response(await hooks().outbox())

    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/_play/config", config)
    app.router.add_post("/_play/people", add_person)
    app.router.add_get("/_play/qr.svg", qr)
    app.router.add_get("/_play/schedules", schedules)
    app.router.add_post("/_play/schedules/{schedule_id:\\d+}/run", run_schedule)
    app.router.add_get("/_play/outbox", outbox)
