"""What every resumable SQLite store shares: a clear error for a file that is not (or no
longer) a database, the fingerprint of the spec it belongs to, a lock against a second
writer, and per-record checksums.

- :func:`connect` opens the file and runs SQLite's ``quick_check``; a non-database or
  damaged file raises :class:`~sim.loading.SpecError` naming it (exit 2), never a
  traceback.
- :func:`claim` records the fingerprint of the resolved spec in the store's ``meta``
  table on first use and refuses a store written for a different spec.
- :class:`FolderLock` holds an exclusive ``flock`` on ``<store>.lock`` while a process
  writes; a second process on the same folder is refused with the first one's pid. The
  lock dies with its process (kill -9 included), so a stale lock never blocks a resume;
  the file is removed when the writer finishes.
- :func:`checksum` is the SHA-256 of a record's stored text; readers recompute it, so a
  record altered on disk is reported instead of feeding a wrong KPI.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from sim.loading import SpecError

FINGERPRINT = "fingerprint.txt"
META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def fingerprint(obj: Any) -> str:
    """SHA-256 of ``obj`` as canonical JSON (sorted keys)."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def checksum(*parts: str | bytes | None) -> str:
    h = hashlib.sha256()
    for p in parts:
        data = b"" if p is None else p if isinstance(p, bytes) else p.encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating) a store with ``schema`` and a ``meta`` table; refuse a file that is
    not a healthy SQLite database."""
    if path.exists() and path.is_dir():
        raise SpecError(str(path), ["is a folder, expected a store file"])
    try:
        con = sqlite3.connect(path, timeout=60)
        con.execute("PRAGMA journal_mode=WAL")  # a committed transaction survives a kill
        con.execute("PRAGMA synchronous=NORMAL")
        bad = [row[0] for row in con.execute("PRAGMA quick_check")]
        if bad != ["ok"]:
            con.close()
            raise SpecError(
                str(path), [f"the store is damaged ({'; '.join(bad[:3])}); move it away to start over"]
            )
        with con:
            con.execute(schema)
            con.execute(META)
    except sqlite3.DatabaseError as exc:
        raise SpecError(
            str(path), [f"not a readable campaign-sim store ({exc}); move it away or choose another folder"]
        ) from None
    return con


def check_database(path: Path) -> None:
    """Refuse (SpecError) a file that is not a healthy SQLite database, without changing it."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            bad = [row[0] for row in con.execute("PRAGMA quick_check")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise SpecError(str(path), [f"not a readable database ({exc})"]) from None
    if bad != ["ok"]:
        raise SpecError(str(path), [f"the database is damaged ({'; '.join(bad[:3])})"])


def bind_folder(folder: Path, print_: str, what: str, earlier: Path | None = None) -> None:
    """Write ``fingerprint`` into ``folder``; with ``earlier`` (a folder being resumed),
    first refuse when that folder was made for a different ``what``."""
    if earlier is not None and (earlier / FINGERPRINT).is_file():
        before = (earlier / FINGERPRINT).read_text(encoding="utf-8").strip()
        if before != print_:
            raise SpecError(
                str(earlier),
                [
                    f"was made for a different {what} (fingerprint {before[:12]}, now {print_[:12]}); "
                    "resuming it would mix two calibrations: start a new one or restore the spec and data"
                ],
            )
    (folder / FINGERPRINT).write_text(print_ + "\n", encoding="utf-8")


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def claim(con: sqlite3.Connection, path: Path, print_: str, what: str) -> None:
    """Bind the store to fingerprint ``print_`` (first use) or refuse a different one."""
    row = con.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
    if row is None:
        with con:
            con.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (print_,))
    elif row[0] != print_:
        raise SpecError(
            str(path),
            [
                f"this store holds results of a different {what} (fingerprint {row[0][:12]}, "
                f"now {print_[:12]}); mixing them would give wrong tables: choose a new folder "
                "or restore the original spec"
            ],
        )


class FolderLock:
    """Exclusive, non-blocking lock on ``<path>.lock`` for as long as a store is written."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")
        self.fd: int | None = None

    def __enter__(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            other = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise SpecError(
                str(self.path.parent),
                [
                    f"another campaign-sim process (pid {other}) is writing this folder; "
                    "wait for it or use another folder"
                ],
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            self.path.unlink(missing_ok=True)  # no stray lock files once the writer is done
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
