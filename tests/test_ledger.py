"""One sender's ledger of the outbox: claims are exclusive, outcomes are its own, leases expire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import queue_directive
from bot.services.broadcasts.ledger import SenderLedger
from bot.services.broadcasts.outbox import Outcome, Result
from bot.services.registry.invites import create_invite, redeem_invite
from bot.services.registry.units import find_unit
from models import Delivery, DeliveryStatus, MessageKind, Role
from models.base import utcnow
from models.db import Database

LEASE = timedelta(minutes=5)


class _Signal:
    def wake(self) -> None:
        """Nothing sends in these tests: the ledgers are driven by hand."""


async def _two_heads_and_a_directive(db: Database) -> int:
    async with db.write() as session:
        unit = await find_unit(session, "T01")
        invite = await create_invite(
            session, unit=unit, role=Role.HEAD, max_uses=None, ttl=None, now=utcnow(),
            actor_user_id=None,
        )  # fmt: skip
        await session.flush()
        for user in (501, 502):
            await redeem_invite(
                session, code=invite.code, user_id=user, chat_id=user, display_name="H",
                now=utcnow(),
            )  # fmt: skip
    content = DirectiveContent(subject="Triển khai", body="Đề nghị các thôn triển khai.")
    queued = await queue_directive(
        db, _Signal(), content, Audience("all"), actor_user_id=None, now=utcnow()
    )
    assert queued.recipients == 2
    return queued.directive_id


async def _statuses(db: Database) -> dict[int, DeliveryStatus]:
    async with db.read() as session:
        rows = await session.execute(select(Delivery.chat_id, Delivery.status))
        return {chat: status for chat, status in rows.tuples()}


async def test_a_claim_is_one_senders_and_only_its_outcomes_are_written(
    db: Database, units: None
) -> None:
    directive_id = await _two_heads_and_a_directive(db)
    first, second = SenderLedger(db, "w1/1", LEASE), SenderLedger(db, "w2/1", LEASE)
    claimed = await first.claim(10)
    assert sorted(row.chat_id for row in claimed) == [501, 502]
    assert await second.claim(10) == []
    content, kind = await first.content(directive_id)
    assert (content.subject, kind) == ("Triển khai", MessageKind.DIRECTIVE)
    sent, retry = claimed
    await first.save_part(sent.id, 1)
    ignored = await second.record([Result(sent, Outcome.FAILED)], max_attempts=3, retry_base=1.0)
    assert ignored.lost == 1, "a sender cannot write the outcome of another's claim"
    recorded = await first.record(
        [Result(sent, Outcome.SENT, 77), Result(retry, Outcome.RETRY)],
        max_attempts=3,
        retry_base=1.0,
    )
    assert recorded.directives == {directive_id} and recorded.lost == 0
    assert await _statuses(db) == {
        sent.chat_id: DeliveryStatus.SENT,
        retry.chat_id: DeliveryStatus.PENDING,
    }


async def test_rows_of_a_sender_whose_lease_ran_out_are_taken_back_by_another(
    db: Database, units: None
) -> None:
    await _two_heads_and_a_directive(db)
    dead = SenderLedger(db, "w1/1", timedelta(seconds=-1))
    assert len(await dead.claim(10)) == 2
    alive = SenderLedger(db, "w2/1", LEASE)
    assert await dead.take_back_expired() == 0, "a sender never takes back its own rows"
    assert await alive.take_back_expired() == 2
    assert len(await alive.claim(10)) == 2
    await alive.renew()
    assert await SenderLedger(db, "w3/1", LEASE).take_back_expired() == 0
