"""Atomic file writes (a temp file beside the target, then a rename) and JSON Lines files.

A reader, or a process killed midway, sees the old file or the new one, never half of one.
Temp files are named ``<target name>.<random>.tmp``, unique per writer, so processes and
threads writing the same target never share one."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator


@contextmanager
def atomic_writer(path: Path, mode: str = "wb") -> Iterator[BinaryIO]:
    """A file object to write ``path``'s new content to; renamed over ``path`` on success,
    removed on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path``'s content with ``data`` atomically."""
    with atomic_writer(path) as handle:
        handle.write(data)


def write_text(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` (UTF-8) atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write rows as JSON Lines atomically; return the row count."""
    count = 0
    with atomic_writer(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON Lines file (blank lines ignored)."""
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
