"""Contacts and roles: who someone is, granting roles, and the admins from settings."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ScalarSelect, exists, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.common.audit import record_event
from bot.services.common.sync import IDENTITIES, bump
from models import Commune, Contact, ContactStatus, LanguageChoice, Role, upsert
from models.base import utcnow
from models.db import Database
from models.scope import NOWHERE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """What the access gate and handlers need to know about a sender."""

    user_id: int
    role: Role | None
    unit_id: int | None
    unit_name: str | None
    contact_id: int | None
    unit_adults: int | None = None
    blocked: bool = False
    # The catalog the person reads; None until they choose one with /ngonngu.
    language: str | None = None
    # The commune this person sees and acts on (models/scope.py): an officer's commune, a
    # head's unit's; None for the whole deployment (admins, province officers, one commune).
    commune_id: int | None = None


def _language_of(user_id: int) -> ScalarSelect[str]:
    """The chosen language as a scalar subquery, to read it with the statement it is in."""
    return (
        select(LanguageChoice.language)
        .where(LanguageChoice.telegram_user_id == user_id)
        .scalar_subquery()
    )


def _identity(
    user_id: int, contact: Contact | None, language: str | None, *, provincial: bool
) -> Identity:
    """What the gate knows of a user; strangers and contacts who left have no role."""
    if contact is None or contact.status == ContactStatus.LEFT:
        return Identity(user_id, None, None, None, None, language=language)
    return Identity(
        user_id=user_id,
        role=contact.role,
        unit_id=contact.unit_id,
        unit_name=contact.unit.name if contact.unit else None,
        contact_id=contact.id,
        unit_adults=contact.unit.adults if contact.unit else None,
        blocked=contact.status == ContactStatus.BLOCKED,
        language=language,
        commune_id=_scope_of(contact, provincial=provincial),
    )


def _scope_of(contact: Contact, *, provincial: bool) -> int | None:
    """The commune a contact is narrowed to; admins always see the whole deployment.

    In a province an officer covers the whole of it only when granted so: one without a
    commune or that grant (left over from a one-commune deployment, or whose commune went)
    is narrowed to nothing.
    """
    if contact.role == Role.ADMIN:
        return None
    if contact.role == Role.HEAD:
        return contact.unit.commune_id if contact.unit is not None else None
    if contact.commune_id is not None:
        return contact.commune_id
    return NOWHERE if provincial and not contact.province_wide else None


async def identify_many(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, Identity]:
    """Look Telegram users up: two queries however many they are."""
    contacts = {
        contact.telegram_user_id: contact
        for contact in await session.scalars(
            select(Contact).where(Contact.telegram_user_id.in_(user_ids))
        )
    }
    chosen = await session.execute(
        select(LanguageChoice.telegram_user_id, LanguageChoice.language).where(
            LanguageChoice.telegram_user_id.in_(user_ids)
        )
    )
    languages = {user_id: language for user_id, language in chosen}
    provincial = bool(await session.scalar(select(exists().where(Commune.id.is_not(None)))))
    return {
        user_id: _identity(
            user_id, contacts.get(user_id), languages.get(user_id), provincial=provincial
        )
        for user_id in user_ids
    }


async def who_are(db: Database, user_ids: Sequence[int]) -> dict[int, Identity]:
    """Senders' identities; a contact marked blocked who writes again is reachable again."""
    async with db.read() as session:
        identities = await identify_many(session, user_ids)
    blocked = [identity.user_id for identity in identities.values() if identity.blocked]
    if not blocked:
        return identities
    try:
        async with db.write() as session:
            for user_id in blocked:
                await reactivate(session, user_id)
    except SQLAlchemyError:
        # Senders looked up together must not all fail for it: they are marked next time.
        logger.warning("Could not mark %s reachable again", blocked, exc_info=True)
        return identities
    for user_id in blocked:
        identities[user_id] = replace(identities[user_id], blocked=False)
    return identities


async def choose_language(db: Database, user_id: int, language: str, now: datetime) -> None:
    """Remember the language someone chose (registered or not)."""
    async with db.write() as session:
        statement = upsert.insert(session, LanguageChoice).values(
            telegram_user_id=user_id, language=language, chosen_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["telegram_user_id"],
                set_={"language": language, "chosen_at": now},
            )
        )
        record_event(session, user_id, "language.chosen", language=language)
        await bump(session, IDENTITIES)


async def reactivate(session: AsyncSession, user_id: int) -> None:
    """A contact marked blocked has written to the bot again, so it is reachable again."""
    contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == user_id))
    if contact is not None and contact.status == ContactStatus.BLOCKED:
        contact.status = ContactStatus.ACTIVE
        record_event(session, user_id, "contact.unblocked")


# Telegram's user ids have at most 52 significant bits; any other number names nobody.
MAX_USER_ID = 2**52 - 1


def user_id_from_text(text: str) -> int | None:
    """A typed user id, or None when it cannot be one (not digits, 0, too long)."""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_USER_ID)):
        return None
    value = int(text)
    return value if 0 < value <= MAX_USER_ID else None


class GrantOutcome(enum.StrEnum):
    """What a role grant did."""

    GRANTED = "granted"
    UNCHANGED = "unchanged"
    SELF_DEMOTE = "self_demote"
    HEAD_NEEDS_UNIT = "head_needs_unit"
    # A province: an officer's scope must be said ("cán bộ 24001" or "cán bộ tỉnh").
    SCOPE_NEEDED = "scope_needed"
    UNKNOWN_COMMUNE = "unknown_commune"
    NO_COMMUNES = "no_communes"


# An officer's scope as a grant names it: a commune's code, or the whole province.
PROVINCE = "province"


@dataclass(frozen=True)
class GrantResult:
    """The outcome and the contact's chat, so the caller can refresh their menu."""

    outcome: GrantOutcome
    chat_id: int | None = None
    language: str | None = None


async def officer_scope(
    session: AsyncSession, role: Role, scope: str | None
) -> int | GrantOutcome | None:
    """The commune id an officer's grant names (None: everything), or why it cannot be."""
    provincial = await session.scalar(select(func.count()).select_from(Commune)) != 0
    if role != Role.OFFICER or (scope is None and not provincial):
        return None  # admins and heads have no scope; a one-commune deployment, as before
    if scope is None:
        return GrantOutcome.SCOPE_NEEDED
    if not provincial:
        return GrantOutcome.NO_COMMUNES
    if scope == PROVINCE:
        return None
    commune_id = await session.scalar(select(Commune.id).where(Commune.code == scope))
    return GrantOutcome.UNKNOWN_COMMUNE if commune_id is None else commune_id


async def grant_role(
    session: AsyncSession,
    *,
    actor_user_id: int | None,
    user_id: int,
    role: Role,
    scope: str | None = None,
) -> GrantResult:
    """Give `user_id` a role, creating the contact if they have never written to the bot.

    An officer of a province deployment is given a scope: a commune's code, or PROVINCE.
    """
    if actor_user_id == user_id and role != Role.ADMIN:
        return GrantResult(GrantOutcome.SELF_DEMOTE)
    commune_id = await officer_scope(session, role, scope)
    if isinstance(commune_id, GrantOutcome):
        return GrantResult(commune_id)
    province_wide = role == Role.OFFICER and scope == PROVINCE
    contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == user_id))
    if role == Role.HEAD and (contact is None or contact.unit_id is None):
        return GrantResult(GrantOutcome.HEAD_NEEDS_UNIT)
    if contact is None:
        # In private chats the chat id equals the user id, so they can be reached at once.
        created = await create_contact(session, user_id, user_id, role)
        if created is not None:
            created.commune_id, created.province_wide = commune_id, province_wide
            record_event(
                session,
                actor_user_id,
                "role.granted",
                user_id=user_id,
                role=role.value,
                previous=None,
                commune=scope,
            )
            await bump(session, IDENTITIES)
            return GrantResult(GrantOutcome.GRANTED, created.chat_id)
        # Someone else created the contact at this very moment: grant on the row they made.
        contact = await session.scalar(
            select(Contact)
            .where(Contact.telegram_user_id == user_id)
            .execution_options(populate_existing=True)
        )
        assert contact is not None
    if (contact.role, contact.status, contact.commune_id, contact.province_wide) == (
        role,
        ContactStatus.ACTIVE,
        commune_id,
        province_wide,
    ):
        return GrantResult(GrantOutcome.UNCHANGED, contact.chat_id)
    previous = contact.role.value if contact.role else None
    contact.role, contact.status = role, ContactStatus.ACTIVE
    contact.commune_id, contact.province_wide = commune_id, province_wide
    record_event(
        session,
        actor_user_id,
        "role.granted",
        user_id=user_id,
        role=role.value,
        previous=previous,
        commune=scope,
    )
    await bump(session, IDENTITIES)
    return GrantResult(GrantOutcome.GRANTED, contact.chat_id)


async def create_contact(
    session: AsyncSession, user_id: int, chat_id: int, role: Role
) -> Contact | None:
    """Insert a new contact, or return None when the user already has one.

    An INSERT … ON CONFLICT DO NOTHING: two transactions creating the same person at once
    (two processes, a double tap) leave one row and raise nothing.
    """
    created_id = await session.scalar(
        upsert.insert(session, Contact)
        .values(
            telegram_user_id=user_id,
            chat_id=chat_id,
            role=role,
            status=ContactStatus.ACTIVE,
            display_name="",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["telegram_user_id"])
        .returning(Contact.id)
    )
    if created_id is None:
        return None
    return await session.get(Contact, created_id)


async def grant(
    db: Database,
    *,
    actor_user_id: int | None,
    user_id: int,
    role: Role,
    scope: str | None = None,
) -> GrantResult:
    """Grant a role in its own transaction (the /phanquyen and `binhdan grant` entry point)."""
    if not 0 < user_id <= MAX_USER_ID:
        raise ValueError(f"not a Telegram user id: {user_id}")
    async with db.write() as session:
        result = await grant_role(
            session, actor_user_id=actor_user_id, user_id=user_id, role=role, scope=scope
        )
        language = await session.scalar(select(_language_of(user_id)))
    return replace(result, language=language)


async def ensure_admins(session: AsyncSession, admin_ids: Iterable[int]) -> list[int]:
    """Make every id in ADMIN_IDS an admin; return the chat ids whose role changed.

    Both steps are safe when several processes start together: the contact is created with
    INSERT … ON CONFLICT DO NOTHING, and promoted with an UPDATE that re-checks the role, so
    exactly one of them records each change.
    """
    changed = []
    for user_id in admin_ids:
        created = await create_contact(session, user_id, user_id, Role.ADMIN)
        if created is not None:
            record_event(
                session, None, "role.granted", user_id=user_id, role=Role.ADMIN.value, previous=None
            )
            changed.append(created.chat_id)
            continue
        previous = await session.scalar(
            select(Contact.role).where(Contact.telegram_user_id == user_id)
        )
        chat_id = await session.scalar(
            update(Contact)
            .where(
                Contact.telegram_user_id == user_id,
                or_(Contact.role != Role.ADMIN, Contact.status != ContactStatus.ACTIVE),
            )
            .values(role=Role.ADMIN, status=ContactStatus.ACTIVE, updated_at=utcnow())
            .returning(Contact.chat_id)
            .execution_options(synchronize_session=False)
        )
        if chat_id is not None:
            record_event(
                session,
                None,
                "role.granted",
                user_id=user_id,
                role=Role.ADMIN.value,
                previous=previous.value if previous else None,
            )
            changed.append(chat_id)
    if changed:
        await bump(session, IDENTITIES)
    return changed


async def mark_blocked(session: AsyncSession, chat_id: int) -> None:
    """Mark the contacts of a chat that blocked the bot, so nothing is retried to them."""
    for contact in await session.scalars(select(Contact).where(Contact.chat_id == chat_id)):
        if contact.status != ContactStatus.BLOCKED:
            contact.status = ContactStatus.BLOCKED
            record_event(session, None, "contact.blocked", user_id=contact.telegram_user_id)


async def contacts_with_roles(session: AsyncSession) -> list[Contact]:
    """Return every active contact, for refreshing command menus at start."""
    return list(
        await session.scalars(select(Contact).where(Contact.status == ContactStatus.ACTIVE))
    )


async def make_admins(db: Database, admin_ids: Iterable[int]) -> list[tuple[int, str | None]]:
    """ADMIN_IDS at start: (chat id, chosen language) of each person who just became admin."""
    async with db.write() as session:
        chats = await ensure_admins(session, admin_ids)
        rows = await session.execute(
            select(Contact.chat_id, LanguageChoice.language)
            .join(LanguageChoice, LanguageChoice.telegram_user_id == Contact.telegram_user_id)
            .where(Contact.chat_id.in_(chats))
        )
        languages: dict[int, str] = {chat_id: language for chat_id, language in rows}
    return [(chat_id, languages.get(chat_id)) for chat_id in chats]
