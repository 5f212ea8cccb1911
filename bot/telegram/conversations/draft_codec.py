"""Conversation drafts as JSON, read back by their type annotations with pydantic (never pickle).

Each slot of `UserData` is stored as the JSON pydantic makes of its annotated type, and read
back by validating against that annotation: nothing is looked up from a name found in the data,
so whoever can write the database can at worst make a draft invalid, and an invalid draft is
dropped, not trusted. A new draft made of frozen dataclasses of plain values needs no change.
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Hashable
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError


class DraftCodecError(ValueError):
    """A value that cannot be stored as JSON."""


def slots_of(owner: type) -> dict[str, TypeAdapter[Any]]:
    """The annotated slots of a drafts class, each with its reader and writer."""
    return _adapters(owner)


@functools.cache
def _adapters(owner: Hashable) -> dict[str, TypeAdapter[Any]]:
    """Built once per class: pydantic compiles a validator and a serializer per type."""
    return {name: TypeAdapter(hint) for name, hint in typing.get_type_hints(owner).items()}


def dump_slots(data: object) -> str:
    """The slots that hold a draft, as one JSON object (keys sorted: equal drafts, equal text)."""
    stored: dict[str, Any] = {}
    for name, adapter in slots_of(type(data)).items():
        value = getattr(data, name)
        if value is None:
            continue
        try:
            stored[name] = adapter.dump_python(value, mode="json")
        except PydanticSerializationError as error:
            raise DraftCodecError(f"cannot store the {name} draft: {error}") from error
    return json.dumps(stored, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def load_slots(data: object, text: str | None) -> list[str]:
    """Put the stored drafts in place; the names of those dropped (unknown or not fitting)."""
    stored = json.loads(text) if text else {}
    if not isinstance(stored, dict):
        stored = {"(not an object)": stored}
    slots = slots_of(type(data))
    dropped = sorted(set(stored) - set(slots))
    for name, adapter in slots.items():
        value = stored.get(name)
        try:
            setattr(data, name, None if value is None else adapter.validate_python(value))
        except ValidationError:
            setattr(data, name, None)
            dropped.append(name)
    return sorted(dropped)
