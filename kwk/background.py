"""The one base of KwK's background jobs (training's :class:`kwk.training.job.Job`, tuning's
:class:`kwk.tune.job.TuneJob`): a thread that waits its turn at an optional gate (a
:class:`kwk.runs.jobs.Gate`: only its ``acquire``/``release``/``position`` are used), then does
the subclass's ``_work``. What every job shares is written here once:

- the state (``status``: queued, running, stopping, finished, stopped, failed; ``phase``;
  ``message``; what the subclass adds) is read and written under one lock;
- ``elapsed`` counts from the start of the work, not from the queue, and stands still at its end;
- ``stop()`` cancels a job still waiting in the queue, and asks a running one to stop;
- an unexpected exception becomes a :class:`kwk.errors.TrainError` whose ``__cause__`` is the
  exception (a :class:`kwk.errors.KwkError` is kept as it is), so it reaches the user as text;
- ``wait``/``done``; ``run()`` does the work in the calling thread (the CLI);
- the work starts once the preloads in flight (:mod:`kwk.preload`) are over.

It lives at the top of the engine (beside ``errors``) because both ``training`` and ``tune`` use
it and ``runs`` already imports ``training``. Plain Python; no Streamlit.
"""
from __future__ import annotations

import threading
import time
import traceback
from typing import Callable

from kwk import preload
from kwk.errors import KwkError, TrainError

ENDED = ("finished", "stopped", "failed")
#: The phase of a job that waits for the preloads in flight before its work (kwk.preload)
LOADING = "Loading the libraries"


class BackgroundJob:
    """Subclasses write ``_work()`` (it sets ``status`` to running, then to finished or stopped
    with its message) and may add fields to the state and to :meth:`snapshot`."""

    thread_name = "kwk-job"
    failure = "The job failed"  # the start of the message of an unexpected failure
    failure_hint = "If it persists, report it with the spec."

    def __init__(self, gate=None, clock: Callable[[], float] = time.monotonic,
                 **state) -> None:
        self.gate, self.clock = gate, clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = {"status": "queued", "phase": "", "message": "", "elapsed": 0.0,
                       **state}
        self.error: KwkError | None = None
        self._t0: float | None = None  # when the work started (after the queue)
        self._t1: float | None = None  # when it ended

    # ------------------------------------------------------------------ control
    def start(self):
        """Start the job in a background thread; returns the job."""
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def run(self):
        """Do the job in the calling thread (the CLI); raises its error, if any."""
        self._run()
        if self.error:
            raise self.error
        return self

    def stop(self) -> None:
        """Cancel a job waiting in the queue; ask a running one to stop (``stopping``)."""
        with self._lock:
            self._stop.set()
            if self._state["status"] == "running":
                self._state["status"] = "stopping"

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread at most ``timeout`` seconds; True once it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def done(self) -> bool:
        with self._lock:
            return self._state["status"] in ENDED

    @property
    def status(self) -> str:
        with self._lock:
            return self._state["status"]

    def elapsed(self) -> float:
        """Seconds since the work started (0 while queued), frozen when it ended."""
        t0, t1 = self._t0, self._t1
        if t0 is None:
            return 0.0
        return (t1 if t1 is not None else self.clock()) - t0

    def snapshot(self) -> dict:
        """A consistent copy of the live state, with ``elapsed`` and ``queue_position``
        (1 for the next job to start; 0 when not waiting) and what :meth:`_live` adds."""
        with self._lock:
            s = {k: (dict((kk, list(vv) if isinstance(vv, list) else vv)
                          for kk, vv in v.items()) if isinstance(v, dict)
                     else list(v) if isinstance(v, list) else v)
                 for k, v in self._state.items()}
        s["elapsed"] = self.elapsed()
        s["queue_position"] = self.gate.position(self) if self.gate is not None else 0
        s.update(self._live())
        return s

    # ------------------------------------------------------------------ for subclasses
    def _set(self, **kw) -> None:
        with self._lock:
            self._state.update(kw)
            if self._state["status"] in ENDED and self._t0 is not None and self._t1 is None:
                self._t1 = self.clock()  # the time stands still from the end on

    def _get(self, key: str):
        with self._lock:
            return self._state[key]

    def _live(self) -> dict:
        """More fields for :meth:`snapshot`, read from outside the state (e.g. a search)."""
        return {}

    def _work(self) -> None:
        raise NotImplementedError

    def _ended(self) -> None:
        """Runs when the work ends, whatever the outcome (still holding its gate slot); not for a
        job cancelled in the queue."""

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        if self.gate is not None and not self.gate.acquire(self, self._stop):
            self._set(status="stopped", message="Cancelled while waiting in the queue.")
            return
        self._t0 = self.clock()
        try:
            if preload.busy():  # what the work needs may be loading beside it: never import
                self._set(status="running", phase=LOADING)  # side by side
                preload.wait()
                self._set(phase="")
            self._work()
        except KwkError as e:
            self.error = e
            self._set(status="failed", message=str(e), phase="")
        except Exception as e:  # an unexpected failure must still reach the user as text
            self.error = TrainError(f"{self.failure}: {type(e).__name__}: {e}",
                                    self.failure_hint)
            self.error.__cause__ = e
            self._set(status="failed", message=str(self.error), phase="",
                      trace=traceback.format_exc(limit=5))
        finally:
            with self._lock:  # work that returned without saying how it ended
                if self._state["status"] not in ENDED:
                    self._state["status"] = "stopped" if self._stop.is_set() else "finished"
                if self._t1 is None:
                    self._t1 = self.clock()
            try:
                self._ended()
            finally:
                if self.gate is not None:
                    self.gate.release(self)
