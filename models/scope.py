"""The one place a commune officer's scope is enforced: every ORM query is narrowed to it.

A province deployment serves many communes. While a commune officer's update is handled, the
access gate sets `current_commune` (`enter`); from then on, every ORM statement any service
runs, SELECT, UPDATE or DELETE, gets the commune's criteria added by SQLAlchemy
(`with_loader_criteria`), whatever the service asked for. Another commune's unit, report,
thread, model, directive, schedule, invite or list is then simply not there: a forged button
finds nothing, a list shows nothing of it, an export holds nothing of it.

Nothing set (None) means the whole deployment: a one-commune deployment, a province officer,
an admin, and the bot's own work (sending, schedules run by the leader).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, event, exists, or_, select, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from models.communes import Commune
from models.contacts import Contact, Role
from models.directives import Directive
from models.evidence import Evidence
from models.invites import Invite
from models.progress import UnitProgress
from models.recognition import Commendation, CommendationUnit, GoodModel, Milestone
from models.reports import Report
from models.schedules import Schedule
from models.threads import Thread, ThreadMessage
from models.units import Unit

# An officer a province has not placed (no commune, no province-wide grant): sees nothing.
NOWHERE = 0

# Rows that belong to one unit, and so to its commune.
UNIT_ROWS = (Report, UnitProgress, Evidence, Thread, GoodModel, CommendationUnit, Milestone)

current_commune: ContextVar[int | None] = ContextVar("current_commune", default=None)


def enter(commune_id: int | None) -> None:
    """Narrow everything that follows in this task (an update's handling) to one commune."""
    current_commune.set(commune_id)


def is_narrowed() -> bool:
    """Whether what runs now is one commune's (not the whole deployment's)."""
    return current_commune.get() is not None


@contextlib.contextmanager
def narrowed(commune_id: int | None) -> Iterator[None]:
    """Narrow a block to one commune (a drill-down, a schedule run), then restore."""
    token = current_commune.set(commune_id)
    try:
        yield
    finally:
        current_commune.reset(token)


def _units_of(commune_id: int) -> ScalarSelect[Any]:
    """The ids of the commune's units, as a subquery."""
    return select(Unit.id).where(Unit.commune_id == commune_id).scalar_subquery()


@functools.lru_cache(maxsize=1024)
def _criteria(commune_id: int) -> tuple[Any, ...]:
    """What each scoped entity must satisfy to belong to the commune.

    Built once per commune: the same option objects on every statement keep SQLAlchemy's
    statement cache warm (new ones cost a commune officer's query more than the SQL does).
    """
    units = _units_of(commune_id)
    return (
        with_loader_criteria(Commune, lambda cls: cls.id == commune_id, include_aliases=True),
        with_loader_criteria(Unit, lambda cls: cls.commune_id == commune_id, include_aliases=True),
        with_loader_criteria(
            Contact,
            lambda cls: or_(cls.unit_id.in_(units), cls.commune_id == commune_id),
            include_aliases=True,
        ),
        with_loader_criteria(
            Invite,
            lambda cls: or_(cls.unit_id.in_(units), cls.commune_id == commune_id),
            include_aliases=True,
        ),
        *(
            with_loader_criteria(entity, lambda cls: cls.unit_id.in_(units), include_aliases=True)
            for entity in UNIT_ROWS
        ),
        with_loader_criteria(
            ThreadMessage,
            lambda cls: cls.thread_id.in_(select(Thread.id).where(Thread.unit_id.in_(units))),
            include_aliases=True,
        ),
        *(
            with_loader_criteria(
                entity, lambda cls: cls.commune_id == commune_id, include_aliases=True
            )
            for entity in (Directive, Schedule, Commendation)
        ),
    )


class ScopeError(RuntimeError):
    """A statement the narrowing cannot reach was run while a commune's scope is set."""


# An INSERT … SELECT's rows are not narrowed by loader criteria: its SELECT must say so itself
# (with `contacts_in_scope()`) and mark the statement with this execution option.
NARROWED_BY_HAND = "narrowed_by_hand"


def contacts_in_scope() -> ColumnElement[bool]:
    """The contacts of the current scope, for the one INSERT … SELECT (the outbox's)."""
    commune_id = current_commune.get()
    if commune_id is None:
        return true()
    return or_(Contact.unit_id.in_(_units_of(commune_id)), Contact.commune_id == commune_id)


def staff_in_scope() -> ColumnElement[bool]:
    """Officers of the scope: the commune's own, or, unscoped, those over the whole deployment.

    Unscoped, that is a province's admins and province officers, or, with no commune at all,
    every officer of the one commune; never an officer a province has not placed.
    """
    commune_id = current_commune.get()
    if commune_id is not None:
        return Contact.commune_id == commune_id
    one_commune = ~exists().where(Commune.id.is_not(None))
    return and_(
        Contact.commune_id.is_(None),
        or_(Contact.role == Role.ADMIN, Contact.province_wide.is_(True), one_commune),
    )


@event.listens_for(Session, "do_orm_execute")
def _narrow(state: ORMExecuteState) -> None:
    """Add the commune's criteria to every top-level ORM statement while a scope is set."""
    commune_id = current_commune.get()
    if commune_id is None:
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the top-level statement's criteria already reach these loads
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(*_criteria(commune_id))
    elif (
        state.is_insert
        and getattr(state.statement, "select", None) is not None
        and not state.execution_options.get(NARROWED_BY_HAND)
    ):
        # Fail closed: rows copied by a SELECT the criteria cannot reach would cross communes.
        raise ScopeError("an INSERT … SELECT must narrow its rows by hand")


# What a commune officer creates is their commune's: stamped here, not by each service.
STAMPED = (Directive, Schedule, Commendation)


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, _context: Any, _instances: Any) -> None:
    """Give new directives, schedules and lists the commune of the scope they are made in."""
    commune_id = current_commune.get()
    if commune_id is None:
        return
    for instance in session.new:
        if isinstance(instance, STAMPED) and instance.commune_id is None:
            instance.commune_id = commune_id
