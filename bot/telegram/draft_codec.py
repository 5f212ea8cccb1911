"""Conversation drafts as JSON, read back by their type annotations: safe, and generic.

The drafts in `UserData` are frozen dataclasses of plain values. They are stored as JSON and
rebuilt from the *annotations* of `UserData` and of each dataclass, never from names found in
the data (no pickle, no class looked up from a string): whoever can write the database can at
worst make a draft invalid, and an invalid draft is dropped, not trusted.

Supported annotations: None, bool, int, float, str, date, datetime, time, enums, dataclasses,
`X | None` and other unions, tuple[X, ...] and fixed tuples, list, set, frozenset, dict (str
or int keys), Literal and Any (JSON values as they are). A new draft made of these needs no
change here.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from datetime import date, datetime, time
from functools import cache
from typing import Any, Union

JSON = Any


class DraftCodecError(ValueError):
    """A value that cannot be stored, or stored data that does not fit its annotation."""


def encode(value: object) -> JSON:
    """A JSON-ready form of a draft value (the annotation tells how to read it back)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return encode(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((encode(item) for item in value), key=json.dumps)
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    raise DraftCodecError(f"cannot store a {type(value).__name__} in a draft")


@cache
def hints_of(cls: type) -> dict[str, Any]:
    """The resolved annotations of a class (string annotations included)."""
    return typing.get_type_hints(cls)


def decode(hint: Any, data: JSON) -> Any:
    """Rebuild a value of type `hint` from its JSON form, or raise DraftCodecError."""
    if hint is Any:
        return data
    if hint is None or hint is type(None):
        if data is not None:
            raise DraftCodecError("expected null")
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return _decode_union(typing.get_args(hint), data)
    if origin is typing.Literal:
        if data not in typing.get_args(hint):
            raise DraftCodecError(f"{data!r} is not one of {typing.get_args(hint)}")
        return data
    if origin is not None:
        return _decode_generic(origin, typing.get_args(hint), data)
    if isinstance(hint, type):
        return _decode_class(hint, data)
    raise DraftCodecError(f"unsupported annotation {hint!r}")


def _decode_union(options: tuple[Any, ...], data: JSON) -> Any:
    """None for null, else the first option that reads the data."""
    if data is None and type(None) in options:
        return None
    for option in options:
        if option is type(None):
            continue
        try:
            return decode(option, data)
        except (DraftCodecError, ValueError, TypeError):
            continue
    raise DraftCodecError(f"{data!r} fits none of {options}")


def _decode_generic(origin: Any, args: tuple[Any, ...], data: JSON) -> Any:
    """Containers: tuples, lists, sets and dicts of annotated items."""
    if origin is dict:
        key_hint, value_hint = args or (str, Any)
        if not isinstance(data, dict):
            raise DraftCodecError("expected an object")
        return {
            decode(key_hint, int(key) if key_hint is int else key): decode(value_hint, item)
            for key, item in data.items()
        }
    if not isinstance(data, list):
        raise DraftCodecError("expected a list")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], item) for item in data)
        if len(args) != len(data):
            raise DraftCodecError("a fixed tuple of another length")
        return tuple(decode(arg, item) for arg, item in zip(args, data, strict=True))
    item_hint = args[0] if args else Any
    items = [decode(item_hint, item) for item in data]
    if origin is list:
        return items
    if origin is set:
        return set(items)
    if origin is frozenset:
        return frozenset(items)
    raise DraftCodecError(f"unsupported container {origin!r}")


def _decode_class(cls: type, data: JSON) -> Any:
    """Plain values, dates, enums and dataclasses."""
    if cls is bool:
        if not isinstance(data, bool):
            raise DraftCodecError("expected a boolean")
        return data
    if cls is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise DraftCodecError("expected an integer")
        return data
    if cls is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise DraftCodecError("expected a number")
        return float(data)
    if cls is str:
        if not isinstance(data, str):
            raise DraftCodecError("expected a string")
        return data
    if cls in (datetime, date, time):
        if not isinstance(data, str):
            raise DraftCodecError("expected an ISO date or time")
        return cls.fromisoformat(data)
    if issubclass(cls, enum.Enum):
        return cls(data)
    if dataclasses.is_dataclass(cls):
        if not isinstance(data, dict):
            raise DraftCodecError(f"expected an object for {cls.__name__}")
        hints = hints_of(cls)
        fields = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = set(data) - fields
        if unknown:
            raise DraftCodecError(f"{cls.__name__} has no field {sorted(unknown)}")
        return cls(**{name: decode(hints[name], value) for name, value in data.items()})
    raise DraftCodecError(f"unsupported type {cls.__name__}")


@cache
def slots_of(owner: type) -> dict[str, Any]:
    """The annotated attributes of a `UserData`-like class: the slots that are stored.

    Cached: it is asked after every update (has anything changed?). Callers must not change
    the dict.
    """
    return {
        name: hint
        for name, hint in hints_of(owner).items()
        if not name.startswith("_") and typing.get_origin(hint) is not typing.ClassVar
    }


def dump_slots(owner: object) -> str:
    """Every annotated slot of `owner` that holds something, as one JSON text."""
    stored = {}
    kind: type = type(owner)
    for name in slots_of(kind):
        value = getattr(owner, name, None)
        if value is not None:
            stored[name] = encode(value)
    return json.dumps(stored, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def load_slots(owner: object, text: str | None) -> list[str]:
    """Set every slot of `owner` from stored JSON; return the names of the dropped ones.

    A slot that is absent gets the value a new `owner` starts with (None for a draft). A slot
    whose data no longer fits its annotation (a draft changed between versions) gets it too
    and is named in the result, so the person simply starts that conversation again.
    """
    stored = json.loads(text) if text else {}
    if not isinstance(stored, dict):
        stored = {}
    fresh = type(owner)()
    dropped = []
    kind: type = type(owner)
    for name, hint in slots_of(kind).items():
        value = getattr(fresh, name, None)
        if name in stored:
            try:
                value = decode(hint, stored[name])
            except (DraftCodecError, ValueError, TypeError):
                dropped.append(name)
        setattr(owner, name, value)
    dropped.extend(sorted(set(stored) - set(slots_of(kind))))
    return dropped
