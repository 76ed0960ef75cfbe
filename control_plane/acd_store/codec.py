"""How events, commands and engine checkpoints are written into the store.

Log entries are JSON (`{"n": now, "e": event}`) with every value tagged by its type, so a
replica decodes exactly the objects another replica applied: tuples stay tuples, frozen
sets and enums keep their type, floats round-trip exactly (`repr`), and mapping order is
kept (the engine reads agent skills in insertion order). Only the ACD's own event, model
and command types are ever built from a record; anything else is `CorruptRecord`.

Checkpoints are the engine's live state (indexes, heaps, estimators, the seeded random
generator) pickled: rebuilding those structures from a summary would be a second, divergent
implementation of the engine. Unpickling is restricted to the ACD's own classes and a few
standard containers, so a checkpoint can build nothing else.
"""

from __future__ import annotations

import io
import json
import pickle
import random
from dataclasses import fields, is_dataclass
from enum import Enum
from types import ModuleType
from typing import Any, cast, get_args

from control_plane.acd import commands as acd_commands
from control_plane.acd import events as acd_events
from control_plane.acd import model as acd_model
from control_plane.acd.events import Event
from control_plane.acd.state import AcdState
from control_plane.acd_store.errors import CorruptRecord

EVENT_TYPES: tuple[type, ...] = get_args(Event)
CHECKPOINT_MAGIC = b"ACDCK1\n"


def _registry(*modules: ModuleType) -> dict[str, type]:
    found: dict[str, type] = {}
    for module in modules:
        for name, obj in vars(module).items():
            if not isinstance(obj, type) or obj.__module__ != module.__name__:
                continue
            if is_dataclass(obj) or issubclass(obj, Enum) or (
                issubclass(obj, tuple) and hasattr(obj, "_fields")
            ):
                found[name] = obj
    return found


_TYPES = _registry(acd_events, acd_model, acd_commands)


def _enc(value: Any) -> Any:
    if isinstance(value, Enum):  # first: StrEnum and IntEnum members are strs and ints
        return {"$e": type(value).__name__, "v": value.value}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {"$n": type(value).__name__, "v": [_enc(v) for v in value]}
    if is_dataclass(value) and not isinstance(value, type):
        return {"$d": type(value).__name__,
                "v": {f.name: _enc(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, tuple):
        return {"$t": [_enc(v) for v in value]}
    if isinstance(value, frozenset):
        # sorted so one set always gives the same bytes, whatever the hash seed
        return {"$f": sorted((_enc(v) for v in value), key=json.dumps)}
    if isinstance(value, dict):
        return {"$m": [[_enc(k), _enc(v)] for k, v in value.items()]}
    raise CorruptRecord(f"cannot encode a {type(value).__name__}")


def _type(name: Any, kind: str) -> type:
    cls = _TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise CorruptRecord(f"unknown {kind} type {name!r}")
    return cls


def _dec(raw: Any) -> Any:
    if raw is None or isinstance(raw, bool | str | int | float):
        return raw
    if isinstance(raw, list):
        raise CorruptRecord("bare list in record")
    if not isinstance(raw, dict) or len(raw) not in (1, 2):
        raise CorruptRecord(f"malformed value {raw!r:.80}")
    try:
        if "$e" in raw:
            return _type(raw["$e"], "enum")(raw["v"])
        if "$n" in raw:
            return _type(raw["$n"], "tuple")(*[_dec(v) for v in raw["v"]])
        if "$d" in raw:
            return _type(raw["$d"], "record")(**{k: _dec(v) for k, v in raw["v"].items()})
        if "$t" in raw:
            return tuple(_dec(v) for v in raw["$t"])
        if "$f" in raw:
            return frozenset(_dec(v) for v in raw["$f"])
        if "$m" in raw:
            return {_dec(k): _dec(v) for k, v in raw["$m"]}
    except CorruptRecord:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise CorruptRecord(f"bad value {raw!r:.80}: {exc}") from exc
    raise CorruptRecord(f"malformed value {raw!r:.80}")


def encode_value(value: Any) -> Any:
    """An event, command or model value as tagged JSON-ready data."""
    return _enc(value)


def decode_value(raw: Any) -> Any:
    """The inverse of `encode_value`; `CorruptRecord` for anything else."""
    return _dec(raw)


def encode_entry(now: float, event: Event) -> bytes:
    """One log entry: the event and the engine time it was applied at."""
    return json.dumps({"n": now, "e": _enc(event)}, separators=(",", ":")).encode()


def decode_event(raw: Any) -> Event:
    """An event from its tagged JSON form; `CorruptRecord` if it is not one."""
    event = _dec(raw)
    if not isinstance(event, EVENT_TYPES):
        raise CorruptRecord(f"not an event: {type(event).__name__}")
    return cast(Event, event)


def decode_entry(data: bytes) -> tuple[float, Event]:
    """The `(now, event)` of one log entry."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptRecord(f"log entry is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) != {"n", "e"}:
        raise CorruptRecord("log entry must be {n, e}")
    now = doc["n"]
    if isinstance(now, bool) or not isinstance(now, int | float):
        raise CorruptRecord(f"log entry time {now!r} is not a number")
    return float(now), decode_event(doc["e"])


# -- checkpoints

_ALLOWED_GLOBALS = frozenset({
    ("array", "array"), ("array", "_array_reconstructor"), ("random", "Random"),
    ("copyreg", "_reconstructor"), ("builtins", "object"), ("builtins", "set"),
    ("builtins", "frozenset"),
})


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        if module.startswith("control_plane.acd.") and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type):  # classes only: no functions to call
                return found
        raise CorruptRecord(f"checkpoint refers to {module}.{name}, which is not ACD state")


def encode_checkpoint(state: AcdState, rng: random.Random) -> bytes:
    """The engine's state and generator as one blob."""
    return CHECKPOINT_MAGIC + pickle.dumps((state, rng), protocol=5)


def decode_checkpoint(blob: bytes) -> tuple[AcdState, random.Random]:
    """The inverse of `encode_checkpoint`; `CorruptRecord` for anything else."""
    if not blob.startswith(CHECKPOINT_MAGIC):
        raise CorruptRecord("checkpoint has no ACD header (other format or version)")
    try:
        loaded = _Unpickler(io.BytesIO(blob[len(CHECKPOINT_MAGIC):])).load()
    except CorruptRecord:
        raise
    except Exception as exc:  # pickle raises many kinds for damaged input
        raise CorruptRecord(f"checkpoint does not load: {type(exc).__name__}: {exc}") from exc
    if (not isinstance(loaded, tuple) or len(loaded) != 2
            or not isinstance(loaded[0], AcdState) or not isinstance(loaded[1], random.Random)):
        raise CorruptRecord("checkpoint does not hold (AcdState, Random)")
    return loaded[0], loaded[1]
