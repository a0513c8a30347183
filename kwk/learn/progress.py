"""A learner's progress through the lessons, kept in the workspace.

One small JSON file per learner under ``$KWK_WORKSPACE/learn/``: the lessons done and how
many hints of each were shown. The learner is the signed-in user's e-mail, or, for someone
not signed in, a random id the app keeps in the address (``?learner=``); the file is named by
a hash of it, so no e-mail appears in a file name and no id can reach outside the folder.
Written atomically (a temporary file, then a rename).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def new_learner_id() -> str:
    """A random id for a learner who is not signed in (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def valid_learner_id(s: str | None) -> bool:
    """An id this app could have made (so a hand-edited address cannot name a path)."""
    return bool(s) and bool(_ID.match(s))


@dataclass
class Progress:
    """The lessons done (ids, in the order done), the number of hints shown per lesson and
    the lesson open now (None: none)."""
    done: list[str] = field(default_factory=list)
    hints: dict[str, int] = field(default_factory=dict)
    current: str | None = None

    def mark_done(self, lesson_id: str) -> bool:
        """Mark a lesson done; True when it was not done before."""
        if lesson_id in self.done:
            return False
        self.done.append(lesson_id)
        return True

    def show_hint(self, lesson_id: str, available: int) -> int:
        """One more hint of a lesson shown (at most ``available``); returns how many are."""
        self.hints[lesson_id] = min(available, self.hints.get(lesson_id, 0) + 1)
        return self.hints[lesson_id]

    def to_dict(self) -> dict:
        return {"version": 1, "done": list(self.done), "hints": dict(self.hints),
                "current": self.current}

    @classmethod
    def from_dict(cls, d: dict) -> "Progress":
        done = [str(x) for x in d.get("done") or [] if isinstance(x, str)]
        hints = {str(k): int(v) for k, v in (d.get("hints") or {}).items()
                 if isinstance(v, int) and not isinstance(v, bool) and v >= 0}
        current = d.get("current") if isinstance(d.get("current"), str) else None
        return cls(done=list(dict.fromkeys(done)), hints=hints, current=current)

    def merge(self, other: "Progress") -> "Progress":
        """Both: what either has done, the most hints either has seen."""
        done = list(dict.fromkeys(self.done + other.done))
        hints = {k: max(self.hints.get(k, 0), other.hints.get(k, 0))
                 for k in {*self.hints, *other.hints}}
        return Progress(done, hints, self.current or other.current)


def folder(workspace: str | os.PathLike | None = None) -> Path:
    from kwk.runs.store import default_workspace
    return Path(workspace) if workspace else default_workspace() / "learn"


def path_for(learner: str, workspace: str | os.PathLike | None = None) -> Path:
    digest = hashlib.sha256(learner.encode("utf-8")).hexdigest()[:32]
    return folder(workspace) / f"{digest}.json"


def load(learner: str, workspace: str | os.PathLike | None = None) -> Progress:
    """The learner's progress (empty when none is kept or the file is damaged)."""
    p = path_for(learner, workspace)
    try:
        return Progress.from_dict(json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError, TypeError):
        return Progress()


def save(learner: str, progress: Progress, workspace: str | os.PathLike | None = None) -> bool:
    """Keep the learner's progress; False when the workspace cannot be written (the session
    still remembers it)."""
    p = path_for(learner, workspace)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".learn-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(progress.to_dict(), f)
        os.replace(tmp, p)
        return True
    except OSError:
        return False
