"""Settings fields: each default written once, with its environment variable and help.

A settings class is a dataclass whose fields are made with ``setting``. ``from_env`` reads
it from the environment, ``add_options`` adds one ``--option`` per field to an argparse
parser (its default read from the environment, its help naming the variable) and
``from_args`` builds it back from the parsed options. A field holding another settings
class is flattened: its fields become options of their own.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import types
import typing
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

_MISSING = dataclasses.MISSING


def setting(default: Any = _MISSING, *, help: str, env: str | None = None, flag: str | None = None,
            secret: bool = False, default_factory: Callable[[], Any] | Any = _MISSING) -> Any:
    """A dataclass field with its environment variable ``env``, its help and, when the option is not
    ``--<field-name>``, its ``flag``; a ``secret`` never shows its value in ``--help``."""
    return dataclasses.field(default=default, default_factory=default_factory,
                             metadata={"help": help, "env": env, "flag": flag, "secret": secret})


def _is_settings(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _parser_of(hint: Any) -> Callable[[str], Any]:
    """Text (an environment value or a command-line word) to the field's type."""
    options = [a for a in typing.get_args(hint) if a is not type(None)] \
        if typing.get_origin(hint) in (typing.Union, types.UnionType) else [hint]
    base = options[0]
    if typing.get_origin(base) is tuple:
        return lambda text: tuple(part.strip() for part in text.split(",") if part.strip())
    if base is bool:
        return lambda text: text.strip().lower() in ("1", "true", "yes", "on")
    return Path if base is Path else base


def _settings_fields(cls: type) -> Iterator[tuple[dataclasses.Field, Any]]:
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if "help" in f.metadata or _is_settings(hints[f.name]):
            yield f, hints[f.name]


def from_env(cls: type, env: Mapping[str, str] = os.environ, **given: Any):
    """``cls`` with each field from its environment variable when set (empty means None for an
    optional field), else its default; ``given`` values win."""
    values = {}
    for f, hint in _settings_fields(cls):
        if f.name in given:
            continue
        if _is_settings(hint):
            values[f.name] = from_env(hint, env)
        elif f.metadata["env"] and f.metadata["env"] in env:
            text = env[f.metadata["env"]]
            values[f.name] = None if text == "" and type(None) in typing.get_args(hint) else _parser_of(hint)(text)
    return cls(**values, **given)


def option_name(f: dataclasses.Field) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def _shown(value: Any) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


def add_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, cls: type,
                env: Mapping[str, str] = os.environ, skip: tuple[str, ...] = ()) -> None:
    """One option per field of ``cls`` (and of the settings it holds), defaulting from ``env``."""
    current = from_env(cls, env)
    for f, hint in _settings_fields(cls):
        if f.name in skip:
            continue
        if _is_settings(hint):
            add_options(parser, hint, env)
            continue
        value, name = getattr(current, f.name), f.metadata["env"]
        where = [f"env {name}"] if name else []
        if not f.metadata["secret"] and value is not None:
            where.append(f"default: {_shown(value)}")
        text = f.metadata["help"] + (f" ({'; '.join(where)})" if where else "")
        if hint is bool:
            parser.add_argument(option_name(f), dest=f.name, action="store_true", default=value, help=text)
        else:
            parser.add_argument(option_name(f), dest=f.name, type=_parser_of(hint), default=value, help=text,
                                metavar=f.name.upper())


def from_args(cls: type, args: argparse.Namespace, **given: Any):
    """``cls`` from options ``add_options`` added (fields it skipped keep their defaults, ``given`` wins)."""
    values = {}
    for f, hint in _settings_fields(cls):
        if f.name in given:
            continue
        if _is_settings(hint):
            values[f.name] = from_args(hint, args)
        elif hasattr(args, f.name):
            values[f.name] = getattr(args, f.name)
    return cls(**values, **given)


def table(*classes: type) -> list[str]:
    """Markdown rows ``| option | environment | default | meaning |`` for the README, each option once."""
    rows, seen = ["| option | environment | default | meaning |", "|---|---|---|---|"], set()
    for cls in classes:
        for f, hint in _settings_fields(cls):
            if _is_settings(hint):
                rows += [r for r in table(hint)[2:] if r not in rows]
                continue
            if option_name(f) in seen:
                continue
            seen.add(option_name(f))
            computed = f.metadata["secret"] or f.default is _MISSING or f.default is None
            default = "" if computed else f"`{_shown(f.default)}`"
            env = f"`{f.metadata['env']}`" if f.metadata["env"] else ""
            rows.append(f"| `{option_name(f)}` | {env} | {default} | {f.metadata['help']} |")
    return rows
