"""A :class:`Job` runs the training core (:func:`kwk.training.core.train_once`, then the
assessment the spec asks for) in a background thread, with live progress, a clean ``stop()``,
an optional gate that limits concurrent training, and an ``on_finish`` hook (e.g. saving the
run) that can be retried. Nothing here touches Streamlit; the app polls ``Job.snapshot()``.

In-memory and streamed data (a plan from :func:`kwk.prep.streamed.plan`) run the same way.
"""
from __future__ import annotations

import threading
import time
import traceback

from kwk.errors import KwkError, TrainError
from kwk.prep.prepare import Prepared
from kwk.training.assess import assess
from kwk.training.core import Tick, TrainResult, feeder_for, train_once


class Job:
    """Trains a prepared spec in a background thread.

    ``snapshot()`` returns a consistent copy of the live state: ``status`` (queued, running,
    stopping, finished, stopped, failed), ``epoch``, ``epochs``, ``batch``, ``batches``,
    ``elapsed``, ``eta`` (seconds), ``history`` (lists per metric), ``phase`` (what runs after
    the epochs: "Scoring the test rows", "Fitting the comparison models", "Bootstrap
    intervals", cross-validation folds, "Saving the run"; "" otherwise) and ``message``.
    """

    def __init__(self, prepared: Prepared, label: str = "", on_finish=None, gate=None):
        """``on_finish(result)`` runs in the training thread after a successful run (e.g. to
        save it); its return value is kept in ``finish_value``, its KwkError in ``finish_error``
        (the trained result stays, so ``retry_finish`` can save it later)."""
        self.prepared = prepared
        self.label = label
        self.on_finish = on_finish
        self.finish_value = None
        self.finish_error: KwkError | None = None  # on_finish failed (e.g. disk full); retryable
        self.gate = gate  # a kwk.runs.jobs.Gate limiting concurrent training, or None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        tr = prepared.spec["training"]
        batches = max(1, -(-prepared.counts["train"] // tr["batch_size"]))
        self._state = {"status": "queued", "epoch": 0, "epochs": tr["epochs"], "batch": 0,
                       "batches": batches, "elapsed": 0.0, "eta": None, "history": {},
                       "phase": "", "message": ""}
        self.result: TrainResult | None = None
        self.error: KwkError | None = None
        self._t0 = None

    @property
    def extra_models(self) -> list:
        """(Prepared, model) of the repeated runs, kept with the run."""
        return self.result.extra_models if self.result is not None else []

    # ------------------------------------------------------------------ control
    def start(self) -> "Job":
        self._thread = threading.Thread(target=self._run, name=f"kwk-train-{self.label}",
                                        daemon=True)
        self._thread.start()
        return self

    def run(self) -> TrainResult:
        """Train in the calling thread (CLI). Raises the job's error, if any."""
        self._run()
        if self.error:
            raise self.error
        return self.result

    def retry_finish(self) -> bool:
        """Run ``on_finish`` (e.g. saving the run) on the trained result. A failure is kept in
        ``finish_error`` with the model still in memory, so the user can free space and retry."""
        if self.on_finish is None or self.result is None:
            return True
        try:
            self.finish_value = self.on_finish(self.result)
            self.finish_error = None
        except KwkError as e:
            self.finish_error = e
        return self.finish_error is None

    def stop(self) -> None:
        """Ask for a clean stop after the current batch; the model so far is kept. A job still
        waiting in the queue is cancelled."""
        self._stop.set()
        with self._lock:
            if self._state["status"] == "running":
                self._state["status"] = "stopping"

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def done(self) -> bool:
        return self._state["status"] in ("finished", "stopped", "failed")

    def snapshot(self) -> dict:
        with self._lock:
            s = dict(self._state)
            s["history"] = {k: list(v) for k, v in self._state["history"].items()}
        if self._t0 is not None and not self.done:
            s["elapsed"] = time.monotonic() - self._t0
        s["queue_position"] = self.gate.position(self) if self.gate is not None else 0
        return s

    def _set(self, **kw):
        with self._lock:
            self._state.update(kw)

    def _progress(self, t: Tick) -> None:
        """The core's progress reports -> the live state (elapsed counts from the job's start)."""
        with self._lock:
            self._state["batch"] = t.batch
            if t.logs is None:
                self._state["epoch"] = t.epoch
                return
            for k, v in t.logs.items():
                self._state["history"].setdefault(k, []).append(v)
            el = time.monotonic() - self._t0
            self._state.update(epoch=t.epoch, elapsed=el,
                               eta=el / t.epoch * (self._state["epochs"] - t.epoch))

    # ------------------------------------------------------------------ the work
    def _run(self) -> None:
        if self.gate is not None and not self.gate.acquire(self, self._stop):
            self._set(status="stopped", message="Cancelled while waiting in the queue.")
            return
        try:
            self._run_admitted()
        finally:
            if self.gate is not None:
                self.gate.release(self)

    def _run_admitted(self) -> None:
        self._t0 = time.monotonic()
        if self._stop.is_set():
            self._set(status="stopped", message="Stopped before training started.")
            return
        self._set(status="running")
        from kwk.evaluation.metrics import preload_comparison_models
        preload_comparison_models()  # scikit-learn's import overlaps the epochs
        try:
            self.result = self._train()
            if self.on_finish is not None:
                self._set(phase="Saving the run")
            self.retry_finish()
            self._set(status="stopped" if self.result.status == "stopped" else "finished",
                      message=self.result.message, eta=0.0, phase="",
                      elapsed=time.monotonic() - self._t0)  # the whole job, as while it ran
        except KwkError as e:
            self.error = e
            self._set(status="failed", message=str(e), phase="")
        except Exception as e:  # an unexpected failure must still reach the user as text
            self.error = TrainError(f"Training failed: {type(e).__name__}: {e}",
                                    "Try a smaller learning rate or a simpler network; if it "
                                    "persists, report it with the spec.")
            self.error.__cause__ = e
            self._set(status="failed", message=str(self.error), phase="",
                      trace=traceback.format_exc(limit=5))

    def _train(self) -> TrainResult:
        """One call of the core with live progress, then the spec's extra assessment."""
        p = self.prepared

        def phase(text: str) -> None:
            self._set(phase=text)
        result = train_once(p, feeder_for(p), self._progress, self._stop, phase)
        phase("Bootstrap intervals")  # then assess names its own steps (folds, seeds)
        assess(result, self._stop, phase)
        return result
