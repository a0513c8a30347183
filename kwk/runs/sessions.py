"""Kept sessions: a person's work in the app (the data as read, the choices, the spec and its
history) stored in the workspace under an unguessable key, so a reload or a new tab with the
same address finds it again.

One folder per key under ``<workspace>/sessions/``::

    sessions/<key>/snapshot.json     owner, times, the kept values (JSON) and what the data is
    sessions/<key>/data-<id>.<ext>   the data: the upload's own bytes, or a parquet/JSON table

A sample is kept by its name only. Every file is written to a temporary name and renamed into
place, so a crash while writing leaves the last good snapshot as it was; the snapshot is
written after its data file, and data files it no longer names are removed after it.

The key belongs to an owner (the signed-in user, ``""`` without authentication): another owner
asking with the same key gets :class:`SessionRefused`, never the data. Snapshots expire
``$KWK_SESSION_TTL_HOURS`` (default 7 days) after they were last saved or opened;
:meth:`SessionStore.cleanup` deletes expired ones and runs at most once an hour. A snapshot
whose data would pass ``$KWK_SESSION_MAX_MB`` (default 200 MB) keeps the small values and
leaves the data out, saying so (``data["kind"] == "left_out"``).

Pure Python (pandas and pyarrow only inside the functions that read or write a table); no
pickle: everything read back is JSON, parquet, or the bytes the user uploaded.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from kwk.errors import KwkError

VERSION = 1
SNAPSHOT = "snapshot.json"
DEFAULT_TTL_HOURS = 7 * 24
DEFAULT_MAX_MB = 200
CLEANUP_EVERY_S = 3600  # the cleanup walks the folder at most this often
_MARKER = ".last_cleanup"
_KEY = re.compile(r"^[A-Za-z0-9_-]{22,128}$")  # token_urlsafe(24) gives 32 characters


class SessionError(KwkError):
    """A kept session cannot be used; the message says why (the app then starts cleanly)."""


class SessionRefused(SessionError):
    """The key belongs to another signed-in user."""


class SessionGone(SessionError):
    """No kept session under this key: never saved, expired and cleaned, or a malformed key."""


class SessionCorrupt(SessionError):
    """The kept session's files cannot be read."""


def new_key() -> str:
    """A fresh unguessable key (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def ttl_hours() -> float:
    return _env_number("KWK_SESSION_TTL_HOURS", DEFAULT_TTL_HOURS)


def max_mb() -> float:
    return _env_number("KWK_SESSION_MAX_MB", DEFAULT_MAX_MB)


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else float(default)
    except ValueError:
        return float(default)  # a typo in the setting must not stop the app
    return value if value > 0 else float(default)


@dataclass
class Snapshot:
    """A kept session as read back: the kept values, what the data is (``data``: its
    ``kind`` — ``sample``, ``upload``, ``frame``, ``left_out`` — and how to read it again, or
    None) and the data file when there is one."""
    key: str
    owner: str
    state: dict
    data: dict | None
    data_path: Path | None
    created: float
    updated: float


@dataclass
class Saved:
    """What :meth:`SessionStore.save` did: whether a data file was written, the note when the
    data was left out (too large, or not writable as a table), and the data's description as
    kept (give it back with the next save of the same data)."""
    data_written: bool = False
    left_out: str | None = None
    data: dict | None = None


class SessionStore:
    """The kept sessions of a workspace (``$KWK_WORKSPACE`` by default)."""

    def __init__(self, root: str | os.PathLike | None = None, ttl_h: float | None = None,
                 max_bytes: int | None = None, clock: Callable[[], float] = time.time):
        if root is None:
            from kwk.runs.store import default_workspace
            root = default_workspace()
        self.dir = Path(root) / "sessions"
        self.ttl_s = (ttl_h if ttl_h is not None else ttl_hours()) * 3600
        self.max_bytes = int(max_bytes if max_bytes is not None else max_mb() * 1024 * 1024)
        self.clock = clock

    # --- paths -------------------------------------------------------------------------
    def folder(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.match(key):
            raise SessionGone("The address holds a session key that is not valid, so nothing "
                              "was restored.", "Load your data again; a new key is made.")
        return self.dir / key

    # --- reading -----------------------------------------------------------------------
    def _read_snapshot(self, key: str) -> dict:
        path = self.folder(key) / SNAPSHOT
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SessionGone("No kept work was found for this address: it expired and was "
                              "cleaned up, or it was never saved.",
                              "Load your data again to start; a new address is made.") from None
        except OSError as e:
            raise SessionCorrupt(f"The kept work for this address cannot be read ({e}).",
                                 "Load your data again to start cleanly.") from None
        try:
            snap = json.loads(raw)
            if not (isinstance(snap, dict) and isinstance(snap.get("state"), dict)
                    and isinstance(snap.get("owner"), str)
                    and isinstance(snap.get("updated"), (int, float))):
                raise ValueError("fields missing")
        except ValueError:
            raise SessionCorrupt("The kept work for this address is damaged and cannot be "
                                 "restored.", "Load your data again to start cleanly.") from None
        return snap

    def load(self, key: str, owner: str = "") -> Snapshot:
        """The kept session under ``key`` for ``owner``. Raises :class:`SessionRefused` when it
        belongs to another owner, :class:`SessionGone` when there is none or it expired (an
        expired one is deleted), :class:`SessionCorrupt` when it cannot be read. Opening it
        counts as use: its expiry starts again."""
        snap = self._read_snapshot(key)
        if snap["owner"] != owner:
            raise SessionRefused("This address holds work kept for another user, so it is not "
                                 "shown here.", "Start with your own data; it gets its own "
                                 "address.")
        now = self.clock()
        if snap["updated"] + self.ttl_s < now:
            self.delete(key)
            raise SessionGone(f"The work kept at this address expired (kept "
                              f"{_duration(self.ttl_s)} after its last use) and was removed.",
                              "Load your data again to start.")
        data, path = snap.get("data"), None
        if isinstance(data, dict) and data.get("file"):
            path = self.folder(key) / str(data["file"])
            if path.name != data["file"] or not path.is_file():  # no folders in the name
                data = {**data, "kind": "left_out", "reason": "its file is missing"}
                path = None
        snap["updated"] = now
        try:
            self._write_json(self.folder(key), SNAPSHOT, snap)
        except OSError:
            pass  # a read-only moment must not stop the restore
        return Snapshot(key=key, owner=owner, state=snap["state"],
                        data=data if isinstance(data, dict) else None, data_path=path,
                        created=float(snap.get("created", now)), updated=now)

    @staticmethod
    def read_table(snapshot: Snapshot):
        """The kept table of a ``frame`` snapshot (a DataFrame). Raises SessionCorrupt."""
        import pandas as pd
        d, path = snapshot.data or {}, snapshot.data_path
        if d.get("kind") != "frame" or path is None:
            raise SessionCorrupt("No table is kept at this address.")
        try:
            if d.get("format") == "parquet":
                return pd.read_parquet(path)
            return _read_json_frame(path, d.get("dtypes") or {})
        except Exception as e:  # pyarrow and pandas raise many kinds for a damaged file
            raise SessionCorrupt(f"The kept table could not be read ({type(e).__name__}).",
                                 "Load your data again.") from None

    @staticmethod
    def read_bytes(snapshot: Snapshot) -> bytes:
        """The uploaded file of an ``upload`` snapshot, as the user sent it."""
        if (snapshot.data or {}).get("kind") != "upload" or snapshot.data_path is None:
            raise SessionCorrupt("No uploaded file is kept at this address.")
        try:
            return snapshot.data_path.read_bytes()
        except OSError as e:
            raise SessionCorrupt(f"The kept file could not be read ({e}).",
                                 "Load your data again.") from None

    # --- writing -----------------------------------------------------------------------
    def save(self, key: str, owner: str, state: dict, data: dict | None = None,
             payload: Callable[[], Any] | None = None) -> Saved:
        """Keep ``state`` (JSON values) and ``data`` (a JSON description: ``kind`` and
        ``fingerprint`` at least) under ``key``. ``payload`` gives the data's content when it
        must be written: ``bytes`` (an upload, ``kind="upload"``) or a DataFrame
        (``kind="frame"``); it is called only when the snapshot does not already hold the
        same data (same kind and fingerprint, file present). Data that would pass the size
        cap is left out and said so in the returned :class:`Saved`. Raises
        :class:`SessionRefused` when the key belongs to another owner."""
        folder = self.folder(key)
        try:
            old = self._read_snapshot(key)
        except SessionGone:
            old = None
        except SessionCorrupt:
            old = None  # rewritten below: the owner cannot be checked, but the key is ours
        if old is not None and old["owner"] != owner:
            raise SessionRefused("This address holds work kept for another user.")
        folder.mkdir(parents=True, exist_ok=True)
        state_text = json.dumps(state, sort_keys=True)
        out = Saved()
        data = dict(data) if data else None
        old_data = (old or {}).get("data") or {}
        if data and data.get("kind") in ("upload", "frame"):
            same = (old_data.get("kind") == data["kind"]
                    and old_data.get("fingerprint") == data.get("fingerprint")
                    and (folder / str(old_data.get("file", "-"))).is_file())
            if same:
                data = old_data
            elif payload is None:
                data = {**data, "kind": "left_out", "reason": "nothing was given to keep"}
            else:
                data, out.left_out = self._write_data(folder, data, payload(),
                                                      self.max_bytes - len(state_text))
                out.data_written = out.left_out is None
        now = self.clock()
        snap = {"version": VERSION, "owner": owner,
                "created": (old or {}).get("created", now), "updated": now,
                "data": data, "state": state}
        self._write_json(folder, SNAPSHOT, snap)
        out.data = data
        keep = {data.get("file")} if data else set()
        for p in folder.glob("data-*"):  # the data files the snapshot no longer names
            if p.name not in keep:
                p.unlink(missing_ok=True)
        return out

    def _write_data(self, folder: Path, data: dict, content, room: int) -> tuple[dict, str | None]:
        """Write the data file (atomically); returns the description and a note when it was
        left out."""
        token = secrets.token_hex(6)
        if data["kind"] == "upload":
            size = len(content)
            if size > room:
                return _left_out(data, size, room), _too_large(data, size, room)
            name = f"data-{token}.bin"
            _write_atomic(folder, name, lambda f: f.write(content))
            return {**data, "file": name, "bytes": size}, None
        # a table: parquet keeps every column's type; a table parquet cannot hold (columns
        # mixing numbers and text, names that are not text) is kept as JSON with its types
        try:
            mem = int(content.memory_usage(deep=False, index=True).sum())
        except Exception:
            mem = 0
        if mem > 20 * max(room, 1):  # hopeless: do not write gigabytes to learn it
            return _left_out(data, mem, room), _too_large(data, mem, room)
        for fmt, ext, writer in (("parquet", "parquet", _write_parquet),
                                 ("json", "json", _write_json_frame)):
            name = f"data-{token}.{ext}"
            try:
                extra = _write_atomic(folder, name, lambda f: writer(content, f))
            except Exception:  # the next format is tried; the last failure leaves it out
                (folder / name).unlink(missing_ok=True)
                continue
            size = (folder / name).stat().st_size
            if size > room:
                (folder / name).unlink(missing_ok=True)
                return _left_out(data, size, room), _too_large(data, size, room)
            return {**data, "file": name, "format": fmt, "bytes": size, **(extra or {})}, None
        note = (f"The data ({data.get('name', 'the table')}) could not be kept with your "
                f"work: load it again after a reload.")
        return {**data, "kind": "left_out", "reason": "not writable as a table"}, note

    @staticmethod
    def _write_json(folder: Path, name: str, obj) -> None:
        text = json.dumps(obj, sort_keys=True)
        _write_atomic(folder, name, lambda f: f.write(text.encode("utf-8")))

    def delete(self, key: str) -> None:
        shutil.rmtree(self.folder(key), ignore_errors=True)

    # --- expiry ------------------------------------------------------------------------
    def cleanup(self, force: bool = False) -> list[str]:
        """Delete the kept sessions not used for longer than the TTL (and folders left
        without a readable snapshot for as long). Runs at most once per
        ``CLEANUP_EVERY_S`` unless ``force``; returns the keys removed."""
        now = self.clock()
        marker = self.dir / _MARKER
        try:
            if not force and now - marker.stat().st_mtime < CLEANUP_EVERY_S:
                return []
        except FileNotFoundError:
            pass
        except OSError:
            return []
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            marker.touch()
            os.utime(marker, (now, now))
        except OSError:
            return []
        removed = []
        for folder in self.dir.iterdir():
            if not folder.is_dir() or not _KEY.match(folder.name):
                continue
            try:
                updated = float(self._read_snapshot(folder.name)["updated"])
            except SessionError:
                try:  # damaged or half-made: judged by when it was last touched
                    updated = max(p.stat().st_mtime for p in [folder, *folder.iterdir()])
                except OSError:
                    continue
            if updated + self.ttl_s < now:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed


def _write_atomic(folder: Path, name: str, write: Callable) -> Any:
    """Write ``folder/name`` through a temporary file in the same folder, flushed to disk and
    renamed over the old one: a crash leaves either the old file or the new, never half."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            result = write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
        return result
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_parquet(df, f) -> None:
    df.to_parquet(f, index=not _plain_index(df))


def _plain_index(df) -> bool:
    import pandas as pd
    idx = df.index
    return isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1


def _write_json_frame(df, f) -> dict:
    """A table as JSON ("split": columns, index and rows) with each column's type kept next to
    it, for the tables parquet cannot hold. Returns the types."""
    dtypes = {str(i): str(t) for i, t in enumerate(df.dtypes)}
    f.write(df.to_json(orient="split", date_format="iso", date_unit="ns",
                       default_handler=str).encode("utf-8"))
    return {"dtypes": dtypes}


def _read_json_frame(path: Path, dtypes: dict):
    import pandas as pd
    raw = json.loads(path.read_text(encoding="utf-8"))
    df = pd.DataFrame(raw["data"], columns=raw["columns"], index=raw.get("index"))
    for i, col in enumerate(list(df.columns)):
        t = dtypes.get(str(i))
        if not t or t == "object":
            continue
        try:
            s = df.iloc[:, i]
            df.isetitem(i, (pd.to_datetime(s) if t.startswith("datetime") else s).astype(t))
        except (TypeError, ValueError):
            pass  # kept as read: the values are right, only the type is looser
    if df.index.equals(pd.RangeIndex(len(df))):
        df.index = pd.RangeIndex(len(df))
    return df


def _left_out(data: dict, size: int, room: int) -> dict:
    return {**data, "kind": "left_out", "bytes": int(size), "reason": "too large"}


def _too_large(data: dict, size: int, room: int) -> str:
    return (f"The data ({data.get('name', 'the table')}, {size / 1e6:,.0f} MB) is too large to "
            f"keep with your work (at most {max(room, 0) / 1e6:,.0f} MB per session): your "
            f"choices are kept, but after a reload the data must be loaded again.")


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    if hours >= 48 and hours % 24 == 0:
        return f"{hours / 24:.0f} days"
    return f"{hours:g} hours"
