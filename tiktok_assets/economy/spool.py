"""`JournalSpool`: journal rows the warehouse could not take, kept on local disk until it can.

When the warehouse goes away while requests are in flight, their answers are already paid
for but cannot be journaled. The journal appends each such row (body included) to a JSON-lines
file for that warehouse, and the next run to open the economy on it inserts them, so the
re-run is served those answers free instead of paying for them again.

The file is `<dir>/<hash of the warehouse URL>.jsonl`; `dir` is `TIKTOK_JOURNAL_SPOOL_DIR`,
else `$DAGSTER_HOME/tiktok_journal_spool`, else the system's temporary folder. In a deployment
where each run has its own machine, point `TIKTOK_JOURNAL_SPOOL_DIR` at a shared volume.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tiktok_assets.warehouse.tables import api_calls

log = logging.getLogger(__name__)

SPOOL_DIR_ENV = "TIKTOK_JOURNAL_SPOOL_DIR"
ORPHAN_AFTER_SECONDS = 600.0
"""A claimed file left this long by a process that died while inserting it is taken over."""

_c = api_calls.c
_IDENTITY = ("route", "params", "run_id", "attempt", "called_at")
"""Columns that tell one spooled row from every other: replaying twice inserts it once."""


def spool_dir() -> Path:
    configured = os.environ.get(SPOOL_DIR_ENV, "").strip()
    if configured:
        return Path(configured)
    home = os.environ.get("DAGSTER_HOME", "").strip()
    return Path(home or tempfile.gettempdir()) / "tiktok_journal_spool"


def _to_json(row: dict[str, Any]) -> str:
    plain = {
        name: value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
        for name, value in row.items()
    }
    return json.dumps(plain, separators=(",", ":"))


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {name: None if isinstance(value, sa.Null) else value for name, value in row.items()}


def _from_json(line: str) -> dict[str, Any] | None:
    """The row of one spooled line; None for a line cut short (a crash while writing it)."""
    try:
        row = json.loads(line)
        row["called_at"] = dt.datetime.fromisoformat(row["called_at"])
        row["call_date"] = dt.date.fromisoformat(row["call_date"])
        missing = [name for name in _IDENTITY if name not in row]
        if missing:
            raise KeyError(missing)
    except (ValueError, KeyError, TypeError):
        log.warning("skipping an unreadable line of the journal spool: %.80s", line)
        return None
    if row.get("body") is None:
        row["body"] = sa.null()  # SQL NULL, as the journal writes it, not JSON null
    return row


class JournalSpool:
    """The local file of journal rows waiting for one warehouse."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def for_engine(cls, engine: sa.Engine, directory: Path | None = None) -> JournalSpool:
        """The spool of the warehouse `engine` points at (the URL is hashed, never written)."""
        url = engine.url.render_as_string(hide_password=False)
        name = hashlib.sha256(url.encode()).hexdigest()[:20]
        return cls((directory or spool_dir()) / f"{name}.jsonl")

    def keep(self, row: dict[str, Any]) -> None:
        """Append one `api_calls` row (as `SqlRequestJournal.record` builds it) durably."""
        line = _to_json(_plain(row))
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
                file.flush()
                os.fsync(file.fileno())

    def pending(self) -> int:
        """Rows waiting in the spool (its own file and files a replay has claimed)."""
        return sum(len(_lines(path)) for path in self._files())

    def replay(self, engine: sa.Engine) -> int:
        """Insert the waiting rows into `api_calls` (skipping any already there); how many.

        A row the database refuses (not a lost connection: bad data) stays in the spool with a
        warning; if the database cannot be reached, every row stays and the error is raised.
        """
        inserted = 0
        for path in self._claim():
            rows = [row for row in map(_from_json, _lines(path)) if row is not None]
            refused: list[dict[str, Any]] = []
            try:
                with engine.begin() as conn:
                    for row in rows:
                        if _present(conn, row):
                            continue
                        try:
                            with conn.begin_nested():
                                conn.execute(sa.insert(api_calls).values(**row))
                        except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
                            log.warning("the journal refused a spooled row: %s", exc.orig)
                            refused.append(row)
                            continue
                        inserted += 1
            except BaseException:
                self._give_back(_lines(path))
                path.unlink(missing_ok=True)
                raise
            self._give_back([_to_json(_plain(row)) for row in refused])
            path.unlink(missing_ok=True)
        if inserted:
            log.info(
                "journaled %d request(s) kept in %s while the warehouse was away",
                inserted,
                self.path,
            )
        return inserted

    def _files(self) -> list[Path]:
        if not self.path.parent.is_dir():
            return []
        return sorted(self.path.parent.glob(f"{self.path.name}*"))

    def _claim(self) -> list[Path]:
        """Rename the spool (and orphaned claims) to names only this call uses."""
        claimed: list[Path] = []
        files = self._files()
        now = self._file_system_now() if files else 0.0
        for path in files:
            if path != self.path:
                try:
                    orphaned = now - path.stat().st_mtime > ORPHAN_AFTER_SECONDS
                except FileNotFoundError:
                    continue
                if not orphaned:
                    continue
            target = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex}.replaying")
            try:
                path.rename(target)
                os.utime(target, (now, now))  # the claim's time: left alone until orphaned
            except FileNotFoundError:  # another process claimed it first
                continue
            claimed.append(target)
        return claimed

    def _file_system_now(self) -> float:
        """The spool folder's clock: the time it stamps on a file touched now.

        Claims are aged by their modification times, which the file system stamps; on a
        volume shared by several machines those come from the server's clock, not this
        machine's, so the age is measured against a stamp of the same clock.
        """
        probe = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.clock")
        try:
            with probe.open("w", encoding="utf-8") as file:  # a write, the file system stamps
                file.write(str(os.getpid()))
            return probe.stat().st_mtime
        finally:  # one probe per call, removed: nothing is left in the spool folder
            probe.unlink(missing_ok=True)

    def _give_back(self, lines: list[str]) -> None:
        if not lines:
            return
        with self._lock, self.path.open("a", encoding="utf-8") as file:
            file.writelines(line + "\n" for line in lines)
            file.flush()
            os.fsync(file.fileno())


def _lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def _present(conn: sa.Connection, row: dict[str, Any]) -> bool:
    query = sa.select(_c.call_id).where(*(_c[name] == row[name] for name in _IDENTITY)).limit(1)
    return conn.execute(query).first() is not None
