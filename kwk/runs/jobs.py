"""Process-wide bookkeeping for training jobs on a shared server: a gate that limits how many
jobs train at once (the rest wait in order, with a visible queue position), and a registry that
finds a job again by its id (e.g. after a browser reload). Plain Python; no Streamlit."""
from __future__ import annotations

import os
import threading
import time
import uuid


class Gate:
    """At most ``limit`` jobs train at the same time; the others wait first-come first-served."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._cond = threading.Condition()
        self._running: set = set()
        self._waiting: list = []

    def acquire(self, job, stop: threading.Event) -> bool:
        """Block until ``job`` may run (True) or ``stop`` is set while waiting (False)."""
        with self._cond:
            self._waiting.append(job)
            try:
                while not stop.is_set() and (len(self._running) >= self.limit
                                             or self._waiting[0] is not job):
                    self._cond.wait(0.2)
                if stop.is_set():
                    return False
                self._running.add(job)
                return True
            finally:
                self._waiting.remove(job)
                self._cond.notify_all()

    def release(self, job) -> None:
        with self._cond:
            self._running.discard(job)
            self._cond.notify_all()

    def position(self, job) -> int:
        """1 for the next job to start, 2 for the one after…; 0 when not waiting."""
        with self._cond:
            return self._waiting.index(job) + 1 if job in self._waiting else 0

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)


class Registry:
    """Jobs by id. Finished jobs are forgotten after ``keep_s`` seconds (their runs are saved)."""

    def __init__(self, keep_s: float = 3600):
        self.keep_s = keep_s
        self._lock = threading.Lock()
        self._jobs: dict[str, tuple] = {}

    def add(self, job, owner: str = "") -> str:
        job_id = uuid.uuid4().hex
        with self._lock:
            self._prune()
            self._jobs[job_id] = (job, owner, time.monotonic())
        return job_id

    def get(self, job_id: str, owner: str = ""):
        with self._lock:
            item = self._jobs.get(job_id)
        return item[0] if item and item[1] == owner else None

    def _prune(self) -> None:
        now = time.monotonic()
        for k, (job, _, t) in list(self._jobs.items()):
            if job.done and now - t > self.keep_s:
                del self._jobs[k]


def default_limit() -> int:
    """``$KWK_MAX_JOBS``, else 2: training is CPU-bound, more at once only slows each one."""
    try:
        return max(1, int(os.environ.get("KWK_MAX_JOBS", "2")))
    except ValueError:
        return 2
