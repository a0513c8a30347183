"""Runs and their artifacts: one folder per run (the bundle of ``kwk.runs.bundle``) under a workspace,
indexed in an embedded SQLite database, so nothing is lost on reload or restart.

Workspace: ``$KWK_WORKSPACE`` or ``./kwk_workspace``. Each run has an ``owner`` (the signed-in
user, or ``""`` for the shared workspace); listing filters by owner.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import numpy as np

from kwk.runs.bundle import save_bundle
from kwk.errors import KwkError

_SCHEMA = """CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, created TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '',
    name TEXT, data_name TEXT, fingerprint TEXT, task TEXT, status TEXT,
    metric TEXT, value REAL, seconds REAL, epochs INTEGER, parameters INTEGER,
    metrics TEXT, spec TEXT, notes TEXT NOT NULL DEFAULT '')"""
# Columns added after the first release, with their definition: older workspaces gain them.
_ADDED = {"notes": "TEXT NOT NULL DEFAULT ''"}


def default_workspace() -> Path:
    return Path(os.environ.get("KWK_WORKSPACE", "kwk_workspace")).resolve()


class Store:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else default_workspace()
        try:
            (self.root / "runs").mkdir(parents=True, exist_ok=True)
            with closing(self._db()) as db, db:
                db.execute(_SCHEMA)
                have = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
                for col, definition in _ADDED.items():
                    if col not in have:
                        db.execute(f"ALTER TABLE runs ADD COLUMN {col} {definition}")
        except (OSError, sqlite3.Error) as e:
            raise KwkError(f"The workspace {self.root} cannot be used: {e}.",
                           "Set KWK_WORKSPACE to a writable folder with free space.")

    def _db(self):
        db = sqlite3.connect(self.root / "runs.sqlite", timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def run_dir(self, run_id: str) -> Path:
        if not run_id or not all(c.isalnum() or c == "-" for c in run_id):
            raise KwkError(f"Invalid run id {run_id!r}.")
        return self.root / "runs" / run_id

    def save(self, result, data_name: str, fingerprint: str, script: str | None,
             owner: str = "", name: str | None = None, source: dict | None = None) -> str:
        """Write the run's bundle and index it. Returns the run id. The index row is written
        last, so a failure leaves no half-indexed run."""
        from kwk.runs.bundle import run_record
        from kwk.evaluation.metrics import headline
        run_id = uuid.uuid4().hex[:12]
        d = self.run_dir(run_id)
        try:
            save_bundle(result, d, data_name, fingerprint, script, source)
            rec = run_record(result, data_name, fingerprint, source)
            key, val = headline(result.metrics)
            with closing(self._db()) as db, db:
                db.execute("INSERT INTO runs (id, created, owner, name, data_name, fingerprint, "
                           "task, status, metric, value, seconds, epochs, parameters, metrics, "
                           "spec) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                    run_id, rec["created"], owner, name or result.prepared.spec.get("name"),
                    data_name, fingerprint, result.metrics["task"], result.status, key, val,
                    result.seconds, result.epochs_run, rec["parameters"],
                    json.dumps(result.metrics), json.dumps(result.prepared.spec)))
        except (OSError, sqlite3.Error) as e:
            shutil.rmtree(d, ignore_errors=True)
            raise KwkError(f"The run could not be saved: {e}.",
                           "Free some disk space or check the workspace folder, then train again.")
        except KwkError:
            shutil.rmtree(d, ignore_errors=True)
            raise
        return run_id

    def list(self, owner: str = "") -> list[dict]:
        with closing(self._db()) as db:
            rows = db.execute("SELECT * FROM runs WHERE owner = ? ORDER BY created DESC, rowid DESC",
                              (owner,)).fetchall()
        return [dict(r) for r in rows]

    def get(self, run_id: str, owner: str = "") -> dict | None:
        with closing(self._db()) as db:
            r = db.execute("SELECT * FROM runs WHERE id = ? AND owner = ?", (run_id, owner)).fetchone()
        if r is None:
            return None
        r = dict(r)
        r["metrics"], r["spec"] = json.loads(r["metrics"]), json.loads(r["spec"])
        r["dir"] = str(self.run_dir(run_id))
        return r

    def history(self, run_id: str) -> dict:
        p = self.run_dir(run_id) / "history.json"
        return json.loads(p.read_text()) if p.exists() else {}

    def threshold(self, run_id: str) -> float:
        """A binary run's decision threshold (0.5 unless chosen on Evaluate or Predict)."""
        from kwk.runs.bundle import read_threshold
        return read_threshold(self.run_dir(run_id))

    def target_state(self, run_id: str) -> dict:
        """The fitted target statistics of a run (classes, or mean and spread of a number),
        read without loading its model."""
        p = self.run_dir(run_id) / "preprocess.json"
        return json.loads(p.read_text()).get("target", {}) if p.exists() else {}

    def evaluation(self, run_id: str) -> dict:
        p = self.run_dir(run_id) / "evaluation.npz"
        if not p.exists():
            return {}
        with np.load(p, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def file_bytes(self, run_id: str, name: str) -> bytes | None:
        p = self.run_dir(run_id) / name
        return p.read_bytes() if p.exists() and p.parent == self.run_dir(run_id) else None

    def describe(self, run_id: str, owner: str = "", name: str | None = None,
                 notes: str | None = None) -> bool:
        """Give a run a name and notes (``None`` keeps the current value). Returns False when
        this owner has no such run."""
        name = None if name is None else name.strip()[:120]
        notes = None if notes is None else notes.strip()[:5000]
        with closing(self._db()) as db, db:
            n = db.execute("UPDATE runs SET name = COALESCE(?, name), notes = COALESCE(?, notes) "
                           "WHERE id = ? AND owner = ?", (name, notes, run_id, owner)).rowcount
        return bool(n)

    def delete(self, run_id: str, owner: str = "") -> bool:
        with closing(self._db()) as db, db:
            n = db.execute("DELETE FROM runs WHERE id = ? AND owner = ?", (run_id, owner)).rowcount
        if n:
            shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
        return bool(n)
