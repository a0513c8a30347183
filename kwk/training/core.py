"""The training core: ONE loop for every kind of training.

:func:`train_once` trains one model of a :class:`kwk.prep.prepare.Prepared` and returns a
:class:`TrainResult`. It owns what every training shares: seeding, the spec's callbacks
(early stopping and the reduce-on-plateau schedule from :func:`kwk.model.recipe.make_callbacks`),
class weights, live progress, a clean stop, NaN detection, the status texts and the result.

What differs between data sources plugs in as a *feeder* (see :class:`Feeder`): it builds the
model, runs the epochs with the core's callbacks, and scores the test split.

- :class:`kwk.training.arrays.ArrayFeeder`: arrays in memory, ``model.fit``;
- :class:`kwk.training.stream.StreamFeeder`: a file in chunks, ``model.fit`` over ``tf.data``;
- :class:`kwk.training.distributed.DistributedFeeder`: a multi-worker custom step.

A k-fold fold, a repeated seed and a tuning trial are plain calls of :func:`train_once` on
their own ``Prepared`` (see :mod:`kwk.training.assess`).
"""
from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from kwk import preload
from kwk.errors import TrainError
from kwk.prep.prepare import Prepared


@dataclass
class TrainResult:
    """One trained model with its curves, test metrics and how the training ended."""
    model: object
    prepared: Prepared
    history: dict        # metric name -> one value per epoch (None where not a number)
    metrics: dict        # what metrics.json holds
    details: dict        # test arrays for charts: y, out, baseline_out, simple_out, classes
    status: str          # finished | stopped | early_stopped
    message: str
    seconds: float       # wall-clock seconds of the epochs
    epochs_run: int
    extra_models: list = field(default_factory=list)  # (Prepared, model) per extra seed
    device: str = "CPU"  # what trained: "CPU" or "GPU: <name>" (model.builder.training_device)


@dataclass
class Tick:
    """One progress report. During an epoch ``logs`` is None and ``batch`` counts the batches
    done; at the end of an epoch ``epoch`` counts the epochs done and ``logs`` holds that
    epoch's metrics (``loss``, ``val_loss``, ... and ``lr``, the learning rate)."""
    epoch: int           # epochs finished
    epochs: int          # epochs asked for
    batch: int           # batches done in the running epoch
    batches: int         # batches per epoch
    elapsed: float       # seconds since the epochs started
    logs: dict | None = None


Progress = Callable[[Tick], None]
Phase = Callable[[str], None]  # receives what runs now after the epochs; "" when it is done


class Feeder(Protocol):
    """How one kind of data reaches the model. ``batches`` is the number of training steps per
    epoch (for progress); ``note`` is appended to the result's message."""
    batches: int
    note: str

    def build(self, p: Prepared):
        """The model, ready to train (compiled, or with its optimizer for a custom step)."""

    def fit(self, model, p: Prepared, callbacks: list, class_weight: dict | None) -> None:
        """Run the spec's epochs, calling the Keras ``callbacks`` as ``model.fit`` does
        (epoch begin/end with logs, train batch end) and honouring ``model.stop_training``."""

    # Optional: ``begin(p)``, called just before ``fit``, starts what the evaluation needs that
    # does not depend on the network (the comparison models) in the background.

    def evaluate(self, model, p: Prepared, phase: Phase | None = None
                 ) -> tuple[dict, dict, Prepared]:
        """``(metrics, details, prepared)`` of the test split; ``prepared`` is what the result
        keeps (``p``, or a copy with the scored test rows). ``phase``, when given, receives a
        line per long step ("Scoring the test rows", "Fitting the comparison models")."""


def feeder_for(p: Prepared) -> Feeder:
    """The feeder for ``p``: streamed data from its file, otherwise arrays in memory."""
    if p.streamed:
        from kwk.training.stream import StreamFeeder
        return StreamFeeder(p)
    from kwk.training.arrays import ArrayFeeder
    return ArrayFeeder(p)


def train_once(p: Prepared, feeder: Feeder | None = None, progress: Progress | None = None,
               stop: threading.Event | None = None, phase: Phase | None = None) -> TrainResult:
    """Train one model of ``p`` and score it on the test split.

    ``feeder`` defaults to :func:`feeder_for`. ``progress`` receives a :class:`Tick` at each
    epoch begin, batch end and epoch end (from the training thread); ``phase`` receives a line
    for each long step after the epochs (scoring, the comparison models), then "". Setting
    ``stop`` ends the training after the current batch; the model so far is kept and scored. Raises
    :class:`TrainError` when the loss becomes NaN or nothing was trained before a stop."""
    import keras

    from kwk.model.recipe import make_callbacks
    feeder = feeder or feeder_for(p)
    tr = p.spec["training"]
    seed_everything(tr["seed"])
    model = feeder.build(p)
    own = make_callbacks(tr)
    es = next((c for c in own if isinstance(c, keras.callbacks.EarlyStopping)), None)
    monitor = _monitor(tr["epochs"], feeder.batches, progress, stop)
    cw = class_weights_from_counts(p.class_counts) \
        if tr["class_weight"] == "balanced" and p.task != "regression" else None
    from kwk.model.builder import training_device
    device = training_device()
    t0 = time.monotonic()
    monitor.t0 = t0
    if getattr(feeder, "begin", None) is not None:  # the comparison models overlap the epochs
        feeder.begin(p)
    feeder.fit(model, p, [monitor, *own], cw)
    seconds = time.monotonic() - t0
    preload.wait()  # the scoring imports scikit-learn, which the job's preload may still load
    if monitor.diverged:
        raise diverged(tr, **monitor.diverged)
    epochs_run = len(monitor.history.get("loss", []))
    if epochs_run == 0:
        raise TrainError("Training was stopped before the first epoch finished, so there is "
                         "no model to keep.", "Start again and let it run at least one epoch.")
    status, message = outcome(epochs_run, tr, stopped=stop is not None and stop.is_set(),
                              early=es is not None and es.stopped_epoch > 0)
    if phase is None:  # a feeder written before phases (e.g. a tuning trial's) still works
        metrics, details, prepared = feeder.evaluate(model, p)
    else:
        metrics, details, prepared = feeder.evaluate(model, p, phase=phase)
        phase("")
    return TrainResult(model=model, prepared=prepared, history=monitor.history, metrics=metrics,
                       details=details, status=status, message=message + feeder.note,
                       seconds=seconds, epochs_run=epochs_run, device=device)


# ---------------------------------------------------------------------- the status texts
def outcome(epochs_run: int, training: dict, stopped: bool, early: bool) -> tuple[str, str]:
    """``(status, message)`` of a training that ran ``epochs_run`` epochs."""
    if stopped:
        return "stopped", f"Stopped by you after {epochs_run} epoch(s); the model so far was kept."
    if early and epochs_run < training.get("epochs", epochs_run + 1):
        return "early_stopped", (f"Stopped early after {epochs_run} epochs: validation loss had "
                                 f"not improved for {training['early_stopping_patience']} epochs.")
    return "finished", f"Finished all {epochs_run} epochs."  # (early stopping at the last one too)


def diverged(training: dict, epoch: int, batch: int) -> TrainError:
    """The error for a loss that stopped being a number at ``epoch``/``batch`` (1-based)."""
    lr = training["learning_rate"]
    return TrainError(
        f"The loss became NaN (not a number) at epoch {epoch}, batch {batch}: training diverged.",
        f"Lower the learning rate (it is {lr:g}; try {lr / 10:g}), check the data for extreme "
        "values, or add a BatchNormalization layer.")


# ---------------------------------------------------------------------- the core's callback
def _monitor(epochs: int, batches: int, progress: Progress | None, stop: threading.Event | None):
    """The Keras callback through which the core watches every feeder: it records the history
    (with the learning rate), reports progress, stops on request and on a NaN loss."""
    import keras

    class Monitor(keras.callbacks.Callback):
        # Thread-safe (progress is reported to a lock-protected receiver): Keras then runs the
        # per-batch hook on a helper thread instead of waiting for each step's loss.
        async_safe = True

        def __init__(self):
            super().__init__()
            self.history: dict[str, list] = {}
            self.diverged: dict = {}
            self.epoch = 0
            self.t0 = time.monotonic()

        def _tick(self, batch: int, logs: dict | None = None) -> None:
            if progress is not None:
                progress(Tick(self.epoch, epochs, batch, batches, time.monotonic() - self.t0, logs))

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self._tick(0)

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)) and not self.diverged:
                self.diverged.update(epoch=self.epoch + 1, batch=batch + 1)
                self.model.stop_training = True
            if stop is not None and stop.is_set():
                self.model.stop_training = True
            self._tick(batch + 1)

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            try:
                lr = self.model.optimizer.learning_rate
                logs["lr"] = float(lr.numpy() if hasattr(lr, "numpy") else lr)
            except Exception:  # no optimizer on the model (custom step without one)
                pass
            row = {k: float(v) if v is not None and math.isfinite(float(v)) else None
                   for k, v in logs.items()}
            for k, v in row.items():
                self.history.setdefault(k, []).append(v)
            self.epoch = epoch + 1
            self._tick(batches, row)

    return Monitor()


# ---------------------------------------------------------------------- shared pieces
def class_weights_from_counts(counts) -> dict[int, float]:
    """'balanced' class weights ``{class code: weight}`` from training rows per class:
    rows / (classes × rows of the class); a class without rows counts as one row."""
    c = np.maximum(np.asarray(counts, dtype=float), 1)
    total = float(np.sum(counts))
    return {i: float(total / (len(c) * c[i])) for i in range(len(c))}


def class_weights(y: np.ndarray, k: int) -> dict[int, float]:
    """'balanced' class weights for encoded training targets ``y`` (codes 0..k-1)."""
    return class_weights_from_counts(np.bincount(y.astype(int), minlength=k))


_DETERMINISM = threading.Lock()
_determinism_on = False


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TF ops deterministic (CPU)."""
    global _determinism_on
    import keras
    import tensorflow as tf
    keras.utils.set_random_seed(seed)
    with _DETERMINISM:
        if not _determinism_on:
            threads = int(os.environ.get("KWK_TF_THREADS", "0") or 0)
            if threads > 0:  # a shared server: each job computes in its own thread
                try:
                    tf.config.threading.set_intra_op_parallelism_threads(threads)
                    tf.config.threading.set_inter_op_parallelism_threads(threads)
                except RuntimeError:  # TensorFlow was already started by someone else
                    pass
            tf.config.experimental.enable_op_determinism()
            _determinism_on = True


def kept_epoch(val_loss: list, training: dict) -> int | None:
    """The epoch (from 0) whose weights the model holds after training when that is not the
    last one: early stopping with ``restore_best_weights`` puts back the epoch of the lowest
    validation loss when training ends (Keras does, whether or not it stopped early). None
    when the last epoch's weights are kept."""
    if not val_loss or training.get("early_stopping_patience", 0) <= 0 \
            or not training.get("restore_best_weights", True):
        return None
    best = int(np.argmin(val_loss))
    return best if best != len(val_loss) - 1 else None


# Over-fitting is named when the validation loss has risen for 3 epochs or more since its best,
# by more than 10% of the best AND by more than 2% of the first epoch's validation loss: a rise
# from almost zero (a log loss of 7.5e-05 becoming 9e-05) is noise of no practical size.
OVERFIT_RELATIVE, OVERFIT_OF_FIRST = 0.10, 0.02


def diagnose(history: dict, min_epochs: int = 5, training: dict | None = None,
             shown: tuple[str, list] | None = None) -> str | None:
    """A plain-language note when the curves show divergence or over-fitting, with a fix.
    ``training``: the run's settings, so the fix offered is not one already in use (early
    stopping with the best weights restored). ``shown``: ``(name, validation values)`` of the
    curve the page draws (:func:`kwk.evaluation.curves.readable_loss`, e.g. the RMSE in the
    target's units): the note quotes its values, so they can be found on the chart. The
    over-fitting is judged on the loss itself (the readable curve is a rising function of it:
    the same best epoch)."""
    loss = [v for v in history.get("loss", []) if v is not None]
    val = [v for v in history.get("val_loss", []) if v is not None]
    if len(history.get("loss", [])) != len(loss):
        return ("The training loss stopped being a number: training diverged. Lower the learning "
                "rate (divide it by 10) or add BatchNormalization.")
    if len(loss) >= 3 and loss[-1] > 2 * min(loss) and loss[-1] > loss[0]:
        return ("The training loss is going up instead of down: training is diverging. Lower the "
                "learning rate (divide it by 10).")
    if len(val) >= min_epochs and len(loss) == len(val):
        best = int(np.argmin(val))
        since = len(val) - 1 - best
        rise = val[-1] - val[best]
        if (since >= 3 and rise > OVERFIT_RELATIVE * abs(val[best])
                and rise > OVERFIT_OF_FIRST * abs(val[0]) and loss[-1] < loss[best]):
            tr = training or {}
            kept = (tr.get("early_stopping_patience") or 0) > 0 and \
                tr.get("restore_best_weights", True)
            name, vals = "loss", val
            if shown is not None and len([v for v in shown[1] if v is not None]) == len(val):
                name, vals = shown[0], [v for v in shown[1] if v is not None]
            head = (f"Over-fitting: validation {name} was best at epoch {best + 1} "
                    f"({vals[best]:.4g}) and has risen for {since} epochs (to {vals[-1]:.4g}) "
                    "while training loss keeps falling.")
            if kept:
                return (head + f" Early stopping kept the weights of epoch {best + 1}, so the "
                        "model is the one from before the rise. To learn longer before it "
                        "starts, add Dropout, an L2 penalty (weight decay) or use fewer units.")
            return head + (" Add Dropout, an L2 penalty (weight decay), fewer units, or early "
                           "stopping with the best weights restored.")
    return None
