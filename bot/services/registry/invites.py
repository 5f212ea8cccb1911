"""Invites: unguessable codes, their limits, and registration through them."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.services.common.audit import record_event
from bot.services.common.sync import IDENTITIES, UNIT_INVITES_LOCK, bump, serialize
from bot.services.registry.contacts import (
    PROVINCE,
    GrantOutcome,
    create_contact,
    officer_scope,
)
from bot.services.registry.units import find_unit
from models import (
    AuditEvent,
    Contact,
    ContactStatus,
    Invite,
    InviteRedemption,
    Role,
    Unit,
    upsert,
)
from models.db import Database

# 16 random bytes = 128 bits, rendered as 22 URL-safe characters (A-Za-z0-9_-), which is
# what Telegram allows in a /start deep-link payload (≤ 64 characters).
INVITE_CODE_BYTES = 16


def new_invite_code() -> str:
    """Return a fresh unguessable, deep-link-safe code."""
    return secrets.token_urlsafe(INVITE_CODE_BYTES)


def deep_link(bot_username: str, code: str) -> str:
    """Return the t.me link that opens the bot with `/start CODE`."""
    return f"https://t.me/{bot_username}?start={code}"


class RedeemOutcome(enum.StrEnum):
    """What happened to a /start CODE."""

    REGISTERED = "registered"
    MOVED = "moved"
    ALREADY = "already"
    # Nothing changed yet: the person must choose first.
    CONFIRM_MOVE = "confirm_move"
    STAFF_CHOICE = "staff_choice"
    INVALID = "invalid"
    USED_UP = "used_up"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED_OUT = "locked_out"


# Audited wrong codes; counted per user (in the database, so a restart does not reset them).
INVITE_REFUSED = "invite.refused"
CODE_PREFIX_KEPT = 4


@dataclass(frozen=True)
class InviteGuard:
    """After `failures_allowed` wrong codes within `window`, /start CODE is refused for it."""

    failures_allowed: int
    window: timedelta


@dataclass(frozen=True)
class RedeemResult:
    """The outcome, the role (kept or granted) and the unit names involved."""

    outcome: RedeemOutcome
    role: Role | None = None
    unit_name: str | None = None
    previous_unit_name: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the sender is now registered through this invite."""
        return self.outcome in (
            RedeemOutcome.REGISTERED,
            RedeemOutcome.MOVED,
            RedeemOutcome.ALREADY,
        )

    @property
    def needs_choice(self) -> bool:
        """Tell whether the person must confirm before anything changes."""
        return self.outcome in (RedeemOutcome.CONFIRM_MOVE, RedeemOutcome.STAFF_CHOICE)


def _refusal(invite: Invite | None, now: datetime, *, counted: bool) -> RedeemOutcome | None:
    """Say why an invite cannot be used, or None when it can.

    Someone the invite already counted is never "used up": uses count people, not taps.
    """
    if invite is None:
        return RedeemOutcome.INVALID
    # An archived unit's codes stop working (archiving also revokes them; this covers any left).
    if invite.revoked or (invite.unit is not None and not invite.unit.active):
        return RedeemOutcome.REVOKED
    if invite.expires_at is not None and now >= invite.expires_at:
        return RedeemOutcome.EXPIRED
    if not counted and invite.max_uses is not None and invite.uses >= invite.max_uses:
        return RedeemOutcome.USED_UP
    return None


async def create_invite(
    session: AsyncSession,
    *,
    unit: Unit | None,
    role: Role,
    max_uses: int | None,
    ttl: timedelta | None,
    now: datetime,
    actor_user_id: int | None,
) -> Invite:
    """Create a new invite for a unit (heads) or for no unit (officers)."""
    invite = Invite(
        code=new_invite_code(),
        unit_id=unit.id if unit else None,
        unit=unit,
        role=role,
        max_uses=max_uses,
        expires_at=now + ttl if ttl else None,
        created_by=actor_user_id,
    )
    session.add(invite)
    record_event(
        session, actor_user_id, "invite.created", unit=unit.code if unit else None, role=role.value
    )
    return invite


async def current_unit_invites(
    session: AsyncSession, now: datetime, *, max_uses: int, ttl: timedelta
) -> list[tuple[Unit, Invite]]:
    """Return each active unit with a usable head invite, creating the missing ones.

    Two callers at once (the CLI and /moi, two processes) would each find a unit without an
    invite and create one: they run one after the other, the second finding the first's.
    """
    await serialize(session, UNIT_INVITES_LOCK)
    units = list(
        await session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code))
    )
    invites = await session.scalars(
        select(Invite)
        .where(Invite.role == Role.HEAD, Invite.revoked.is_(False))
        .order_by(Invite.id.desc())
    )
    usable: dict[int, Invite] = {}
    for invite in invites:
        if invite.unit_id is not None and invite.unit_id not in usable and invite.is_usable(now):
            usable[invite.unit_id] = invite
    pairs = []
    for unit in units:
        invite = usable.get(unit.id) or await create_invite(
            session,
            unit=unit,
            role=Role.HEAD,
            max_uses=max_uses,
            ttl=ttl,
            now=now,
            actor_user_id=None,
        )
        pairs.append((unit, invite))
    return pairs


async def regenerate_unit_invite(
    session: AsyncSession,
    unit: Unit,
    now: datetime,
    *,
    max_uses: int,
    ttl: timedelta,
    actor_user_id: int | None,
) -> Invite:
    """Revoke a unit's head invites and issue a fresh one (e.g. after a leak)."""
    for invite in await session.scalars(
        select(Invite).where(Invite.unit_id == unit.id, Invite.revoked.is_(False))
    ):
        invite.revoked = True
    record_event(session, actor_user_id, "invite.revoked", unit=unit.code)
    return await create_invite(
        session,
        unit=unit,
        role=Role.HEAD,
        max_uses=max_uses,
        ttl=ttl,
        now=now,
        actor_user_id=actor_user_id,
    )


def _choice_needed(contact: Contact | None, invite: Invite) -> RedeemOutcome | None:
    """Whether this invite would change something the person must agree to first.

    A head bound to another unit would move; an officer or admin would be attached to a unit
    (and start receiving its reminders). Neither happens silently.
    """
    if contact is None or contact.status == ContactStatus.LEFT or invite.unit_id is None:
        return None
    if contact.role in (Role.OFFICER, Role.ADMIN) and contact.unit_id != invite.unit_id:
        return RedeemOutcome.STAFF_CHOICE
    if contact.role == Role.HEAD and contact.unit_id not in (None, invite.unit_id):
        return RedeemOutcome.CONFIRM_MOVE
    return None


async def redeem_invite(
    session: AsyncSession,
    *,
    code: str,
    user_id: int,
    chat_id: int,
    display_name: str,
    now: datetime,
    confirmed: bool = False,
) -> RedeemResult:
    """Bind the sender to the invite's unit and role, if the code is usable.

    A move to another unit, or attaching an officer or admin to a unit, waits for the
    person's explicit choice (`confirmed`). Opening the same code again changes nothing.
    """
    invite = await session.scalar(select(Invite).where(Invite.code == code))
    counted = invite is not None and await _has_redeemed(session, invite.id, user_id)
    refusal = _refusal(invite, now, counted=counted)
    if invite is None or refusal is not None:
        # Refusals change nothing here; `register` audits the invalid ones (guessing).
        return RedeemResult(refusal or RedeemOutcome.INVALID)
    contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == user_id))
    current = contact if contact is not None and contact.status != ContactStatus.LEFT else None
    previous_unit = current.unit if current else None
    role = _role_after_invite(current, invite)
    unit_name = invite.unit.name if invite.unit else None
    removed = contact is not None and contact.status == ContactStatus.LEFT
    if counted and (removed or (_raises(current, role) and _exhausted(invite))):
        # The code already counted this person, who has since been removed (or demoted, and
        # the code is used up): an old link must not give the role back. A new code does.
        return RedeemResult(RedeemOutcome.USED_UP)
    if (
        current is not None
        and current.unit_id == invite.unit_id
        and current.role == role
        and not _rescopes(current, invite)
    ):
        current.chat_id, current.display_name = chat_id, display_name
        current.status = ContactStatus.ACTIVE
        return RedeemResult(RedeemOutcome.ALREADY, role, unit_name)
    choice = _choice_needed(current, invite)
    if choice is not None and not confirmed:
        return RedeemResult(
            choice, role, unit_name, previous_unit.name if previous_unit is not None else None
        )
    if not counted:
        use = await _take_use(session, invite, user_id, now)
        if use is None:
            return RedeemResult(RedeemOutcome.USED_UP)
        counted = not use
    if contact is None:
        contact = await create_contact(session, user_id, chat_id, role) or await session.scalar(
            select(Contact)
            .where(Contact.telegram_user_id == user_id)
            .execution_options(populate_existing=True)
        )
        assert contact is not None
    contact.chat_id, contact.display_name, contact.role = chat_id, display_name, role
    # An officer invite carries its scope. Any other invite keeps an officer's scope as it
    # is: a commune officer opening a head's link must not become a province officer.
    if role != Role.OFFICER:
        # Heads are scoped by their unit, admins by nothing.
        contact.commune_id, contact.province_wide = None, False
    elif invite.role == Role.OFFICER:
        contact.commune_id, contact.province_wide = invite.commune_id, invite.province_wide
    contact.unit_id, contact.unit, contact.status = (
        invite.unit_id,
        invite.unit,
        ContactStatus.ACTIVE,
    )
    await bump(session, IDENTITIES)
    moved = (
        previous_unit is not None and invite.unit is not None and previous_unit.id != invite.unit.id
    )
    record_event(
        session,
        user_id,
        "invite.redeemed",
        unit=invite.unit.code if invite.unit else None,
        role=role.value,
        moved_from=previous_unit.code if moved and previous_unit else None,
        confirmed=confirmed,
        counted=not counted,
    )
    return RedeemResult(
        RedeemOutcome.MOVED if moved else RedeemOutcome.REGISTERED,
        role=role,
        unit_name=unit_name,
        previous_unit_name=previous_unit.name if moved and previous_unit else None,
    )


async def _take_use(
    session: AsyncSession, invite: Invite, user_id: int, now: datetime
) -> bool | None:
    """Count this person among the invite's uses: True if counted now, False if already.

    None when the invite is used up. Safe when several redeem at once, on both databases:
    the person's redemption row is inserted with ON CONFLICT DO NOTHING (the same person
    twice counts once), and the use is taken by one conditional
    `UPDATE … SET uses = uses + 1 WHERE uses < max_uses RETURNING`, which PostgreSQL
    re-checks on the row's newest version after waiting for a concurrent one.
    """
    inserted = await session.scalar(
        upsert.insert(session, InviteRedemption)
        .values(invite_id=invite.id, telegram_user_id=user_id, redeemed_at=now)
        .on_conflict_do_nothing(index_elements=["invite_id", "telegram_user_id"])
        .returning(InviteRedemption.id)
    )
    if inserted is None:
        return False
    uses = await session.scalar(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.revoked.is_(False),
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
        .values(uses=Invite.uses + 1)
        .returning(Invite.uses)
        .execution_options(synchronize_session=False)
    )
    if uses is None:
        await session.execute(delete(InviteRedemption).where(InviteRedemption.id == inserted))
        return None
    # The row already holds this value: keep the session's copy in step without a write.
    set_committed_value(invite, "uses", uses)
    return True


async def _has_redeemed(session: AsyncSession, invite_id: int, user_id: int) -> bool:
    """Whether this person already counts among the invite's uses."""
    found = await session.scalar(
        select(InviteRedemption.id).where(
            InviteRedemption.invite_id == invite_id,
            InviteRedemption.telegram_user_id == user_id,
        )
    )
    return found is not None


ROLE_RANK = {Role.HEAD: 0, Role.OFFICER: 1, Role.ADMIN: 2}


def _raises(contact: Contact | None, role: Role) -> bool:
    """Whether taking `role` would raise the person above the role they hold now."""
    held = ROLE_RANK[contact.role] if contact is not None else -1
    return ROLE_RANK[role] > held


def _rescopes(contact: Contact, invite: Invite) -> bool:
    """Whether an officer invite places an officer elsewhere than they are (a new scope)."""
    if invite.role != Role.OFFICER or contact.role != Role.OFFICER:
        return False
    return (contact.commune_id, contact.province_wide) != (invite.commune_id, invite.province_wide)


def _exhausted(invite: Invite) -> bool:
    """Whether the code has counted as many people as it may."""
    return invite.max_uses is not None and invite.uses >= invite.max_uses


def _role_after_invite(contact: Contact | None, invite: Invite) -> Role:
    """Never let an invite lower a role: an admin opening any invite stays an admin."""
    if contact is not None and ROLE_RANK[contact.role] > ROLE_RANK[invite.role]:
        return contact.role
    return invite.role


@dataclass(frozen=True)
class InviteLimits:
    """How many people one unit's code may register, and for how long it is valid."""

    max_uses: int
    ttl: timedelta


@dataclass(frozen=True)
class UnitInvite:
    """A unit's current invite, as lists, QR codes and printed sheets show it."""

    unit_code: str
    unit_name: str
    code: str


async def recent_failures(session: AsyncSession, user_id: int, since: datetime) -> list[datetime]:
    """When this user typed a wrong code since `since`, oldest first."""
    rows = await session.scalars(
        select(AuditEvent.created_at)
        .where(
            AuditEvent.action == INVITE_REFUSED,
            AuditEvent.actor_user_id == user_id,
            AuditEvent.created_at >= since,
        )
        .order_by(AuditEvent.created_at)
    )
    return list(rows)


async def register(
    db: Database,
    *,
    code: str,
    user_id: int,
    chat_id: int,
    display_name: str,
    now: datetime,
    confirmed: bool = False,
    guard: InviteGuard | None = None,
) -> RedeemResult:
    """/start CODE (or the confirming button): redeem the invite in one transaction.

    Wrong codes are audited and limited.

    Guessing is bounded: after `guard.failures_allowed` invalid codes within `guard.window`,
    every code (even a right one, so the lock-out is no oracle) is refused until the oldest of
    them leaves the window. Attempts during the lock-out are not recorded again.
    """
    async with db.write() as session:
        if guard is not None:
            failures = await recent_failures(session, user_id, now - guard.window)
            if len(failures) >= guard.failures_allowed:
                return RedeemResult(RedeemOutcome.LOCKED_OUT)
        result = await redeem_invite(
            session,
            code=code,
            user_id=user_id,
            chat_id=chat_id,
            display_name=display_name,
            now=now,
            confirmed=confirmed,
        )
        if result.outcome == RedeemOutcome.INVALID:
            session.add(
                AuditEvent(
                    actor_user_id=user_id,
                    action=INVITE_REFUSED,
                    details={"code_prefix": code[:CODE_PREFIX_KEPT]},
                    created_at=now,
                )
            )
        return result


async def keep_unit(db: Database, user_id: int, code: str) -> str | None:
    """The person chose to stay where they are: audit it; returns their unit's name."""
    async with db.write() as session:
        contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == user_id))
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        record_event(
            session,
            user_id,
            "invite.declined",
            unit=invite.unit.code if invite is not None and invite.unit else None,
            kept=contact.unit.code if contact is not None and contact.unit else None,
        )
        return contact.unit.name if contact is not None and contact.unit else None


async def unit_invites(db: Database, now: datetime, limits: InviteLimits) -> list[UnitInvite]:
    """Every active unit's usable invite, creating the missing ones."""
    async with db.write() as session:
        pairs = await current_unit_invites(session, now, max_uses=limits.max_uses, ttl=limits.ttl)
        return [UnitInvite(unit.code, unit.name, invite.code) for unit, invite in pairs]


async def unit_invite(
    db: Database,
    unit_code: str,
    now: datetime,
    limits: InviteLimits,
    *,
    regenerate: bool,
    actor_user_id: int | None,
) -> UnitInvite | None:
    """One unit's invite (renewed first when asked); None for an unknown or archived unit."""
    async with db.write() as session:
        unit = await find_unit(session, unit_code)
        if unit is None or not unit.active:
            return None
        if regenerate:
            invite = await regenerate_unit_invite(
                session,
                unit,
                now,
                max_uses=limits.max_uses,
                ttl=limits.ttl,
                actor_user_id=actor_user_id,
            )
        else:
            pairs = await current_unit_invites(
                session, now, max_uses=limits.max_uses, ttl=limits.ttl
            )
            invite = next(inv for u, inv in pairs if u.id == unit.id)
        return UnitInvite(unit.code, unit.name, invite.code)


async def officer_invite(
    db: Database,
    now: datetime,
    ttl: timedelta,
    actor_user_id: int | None,
    scope: str | None = None,
) -> str | GrantOutcome:
    """A fresh one-use officer invite; returns its code, or why its scope cannot be.

    In a province the invite carries its scope (a commune's code, or PROVINCE), as a grant.
    """
    async with db.write() as session:
        commune_id = await officer_scope(session, Role.OFFICER, scope)
        if isinstance(commune_id, GrantOutcome):
            return commune_id
        invite = await create_invite(
            session,
            unit=None,
            role=Role.OFFICER,
            max_uses=1,
            ttl=ttl,
            now=now,
            actor_user_id=actor_user_id,
        )
        invite.commune_id, invite.province_wide = commune_id, scope == PROVINCE
        return invite.code
