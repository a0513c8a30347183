"""A :class:`Job` runs the training core and the assessment the spec asks for
(:func:`kwk.training.assess.train_and_assess`) in a background thread, with live progress, a
clean ``stop()``, an optional gate that limits concurrent training, and an ``on_finish`` hook
(e.g. saving the run) that can be retried. The queue, the state's lock, the elapsed time, stop
and error handling are :class:`kwk.background.BackgroundJob`'s. Nothing here touches Streamlit;
the app polls ``Job.snapshot()``.

In-memory and streamed data (a plan from :func:`kwk.prep.streamed.plan`) run the same way.
"""
from __future__ import annotations

from kwk.background import BackgroundJob
from kwk.errors import KwkError
from kwk.prep.prepare import Prepared
from kwk.training.assess import train_and_assess
from kwk.training.core import Tick, TrainResult, feeder_for


class Job(BackgroundJob):
    """Trains a prepared spec in a background thread.

    ``snapshot()`` returns a consistent copy of the live state: ``status`` (queued, running,
    stopping, finished, stopped, failed), ``epoch``, ``epochs``, ``batch``, ``batches``,
    ``elapsed``, ``eta`` (seconds), ``history`` (lists per metric), ``phase`` (what runs after
    the epochs: "Scoring the test rows", "Fitting the comparison models", "Bootstrap
    intervals", cross-validation folds, "Saving the run"; "" otherwise), ``message`` and
    ``queue_position``.
    """

    failure = "Training failed"
    failure_hint = ("Try a smaller learning rate or a simpler network; if it persists, report "
                    "it with the spec.")

    def __init__(self, prepared: Prepared, label: str = "", on_finish=None, gate=None):
        """``on_finish(result)`` runs in the training thread after a successful run (e.g. to
        save it); its return value is kept in ``finish_value``, its KwkError in ``finish_error``
        (the trained result stays, so ``retry_finish`` can save it later)."""
        tr = prepared.spec["training"]
        batches = max(1, -(-prepared.counts["train"] // tr["batch_size"]))
        super().__init__(gate, epoch=0, epochs=tr["epochs"], batch=0, batches=batches,
                         eta=None, history={})
        self.thread_name = f"kwk-train-{label}"
        self.prepared = prepared
        self.label = label
        self.on_finish = on_finish
        self.finish_value = None
        self.finish_error: KwkError | None = None  # on_finish failed (e.g. disk full); retryable
        self.result: TrainResult | None = None

    @property
    def extra_models(self) -> list:
        """(Prepared, model) of the repeated runs, kept with the run."""
        return self.result.extra_models if self.result is not None else []

    def run(self) -> TrainResult:
        """Train in the calling thread (CLI). Raises the job's error, if any."""
        super().run()
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

    def _progress(self, t: Tick) -> None:
        """The core's progress reports -> the live state (elapsed counts from the job's start)."""
        el = self.elapsed()
        with self._lock:
            self._state["batch"] = t.batch
            if t.logs is None:
                self._state["epoch"] = t.epoch
                return
            for k, v in t.logs.items():
                self._state["history"].setdefault(k, []).append(v)
            self._state.update(epoch=t.epoch, elapsed=el,
                               eta=el / t.epoch * (self._state["epochs"] - t.epoch))

    # ------------------------------------------------------------------ the work
    def _work(self) -> None:
        if self._stop.is_set():
            self._set(status="stopped", message="Stopped before training started.")
            return
        self._set(status="running")
        from kwk.evaluation.metrics import preload_comparison_models
        preload_comparison_models()  # scikit-learn's import overlaps the epochs
        p = self.prepared

        def phase(text: str) -> None:
            self._set(phase=text)
        self.result = train_and_assess(p, feeder_for(p), self._progress, self._stop, phase)
        if self.on_finish is not None:
            self._set(phase="Saving the run")
        self.retry_finish()
        self._set(status="stopped" if self.result.status == "stopped" else "finished",
                  message=self.result.message, eta=0.0, phase="")
