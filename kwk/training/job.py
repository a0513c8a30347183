"""Training: ``prepare`` (resolve the spec, split, fit preprocessing) and a :class:`Job` that
runs ``model.fit`` in a background thread with live progress, a clean ``stop()`` and NaN
detection. Nothing here touches Streamlit; the app polls ``Job.snapshot()``.
"""
from __future__ import annotations

import math
import os
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kwk.errors import DataError, KwkError, TrainError
from kwk.prep.preprocess import (
    Preprocessor,
    kfold_indices,
    model_input,
    split_from_column,
    split_indices,
    to_number,
)
from kwk.spec import check_stack, resolve

MIN_ROWS = 10


@dataclass
class Prepared:
    """Everything training needs, derived deterministically from (data, spec)."""
    spec: dict                 # resolved spec
    notes: list[str]
    pre: Preprocessor
    X: dict                    # split name -> float32 matrix
    y: dict                    # split name -> encoded target
    rows: dict                 # split name -> row positions in the original DataFrame
    stratified: bool
    shapes: list[dict] = field(default_factory=list)
    source: pd.DataFrame | None = field(default=None, repr=False)  # the data as given
    work: pd.DataFrame | None = field(default=None, repr=False)    # rows with a target
    extra: dict = field(default_factory=dict)  # time series: "naive" forecasts per split

    @property
    def task(self) -> str:
        return self.spec["data"]["task"]

    @property
    def n_classes(self) -> int:
        return len(self.pre.classes) or 1


def prepare(df: pd.DataFrame, spec: dict, kinds: dict | None = None) -> Prepared:
    """Resolve ``spec`` against ``df``, drop rows without a target, split (seeded holdout, or
    the user's validation column), fit preprocessing on the training rows and encode every
    split. Raises SpecError/DataError with clear text."""
    spec, notes = resolve(spec, df, kinds)
    d, tr = spec["data"], spec["training"]
    y = df[d["target"]]
    keep = y.notna()
    if d["task"] == "regression":
        keep &= to_number(y).notna()
    n_drop = int((~keep).sum())
    if n_drop:
        notes.append(f"{n_drop} row(s) without a usable target value were left out.")
    work = df.loc[keep]
    check_numbers(work, spec, notes)
    if len(work) < MIN_ROWS:
        raise DataError(f"Only {len(work)} rows have a target value; at least {MIN_ROWS} are "
                        "needed to train and test a model.", "Use a larger dataset.")
    if d.get("sequence"):
        return prepare_series(df, work, spec, notes)
    if tr["validation"] == "column":
        tr_i, va_i, te_i = split_from_column(work[d["validation_column"]])
        strat = False
        notes.append(f"Split taken from the column '{d['validation_column']}': {len(tr_i)} "
                     f"train, {len(va_i)} validation, {len(te_i)} test rows.")
    else:
        tr_i, va_i, te_i, strat = split_indices(work[d["target"]], d["task"],
                                                tr["validation_fraction"], tr["test_fraction"],
                                                tr["seed"], tr["stratify"])
        if d["task"] != "regression" and tr["stratify"] and not strat:
            notes.append("Some classes are too rare to keep their proportions in every split; "
                         "the split is random instead of stratified.")
    return encode_split(df, work, spec, notes, (tr_i, va_i, te_i), strat)


FLOAT32_MAX = 3.4e38


def check_numbers(work: pd.DataFrame, spec: dict, notes: list[str]) -> None:
    """Infinite values become missing (with a note); numbers beyond what the model's 32-bit
    arithmetic holds are refused, naming the column and the row."""
    d = spec["data"]
    cols = [c for c in d["features"] if d["kinds"].get(c) == "numeric"]
    if d["task"] == "regression":
        cols.append(d["target"])
    for c in cols:
        s = work[c]
        x = s.astype(float) if ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s) else \
            pd.to_numeric(s.astype(str).str.strip(), errors="coerce").where(s.notna())
        v = x.to_numpy(dtype=float, na_value=np.nan)
        n_inf = int(np.isinf(v).sum())
        if n_inf:
            notes.append(f"Column '{c}' has {n_inf} infinite value(s) (inf or -inf); they are "
                         "treated as missing" + (" and filled with the training median."
                                                 if c != d["target"] else " and those rows left out."))
        finite = np.where(np.isfinite(v), np.abs(v), 0.0)
        if finite.size and finite.max() > FLOAT32_MAX:
            i = int(np.argmax(finite))
            raise DataError(
                f"Column '{c}' holds a number too large for a neural network ({v[i]:.3g} in data "
                f"row {work.index[i] + 1 if isinstance(work.index[i], (int, np.integer)) else i + 1}"
                "); the model computes with 32-bit numbers, which stop at about 3.4e38.",
                f"Rescale the column (e.g. divide it by a power of ten or take its logarithm), "
                f"mark such values as missing, or leave '{c}' out of the inputs.")


def encode_split(df: pd.DataFrame, work: pd.DataFrame, spec: dict, notes: list[str],
                 split: tuple, stratified: bool) -> Prepared:
    """Fit preprocessing on ``work``'s training positions and encode the three parts."""
    d = spec["data"]
    parts = {k: work.iloc[i] for k, i in zip(("train", "validation", "test"), split)}
    pre = Preprocessor.fit(parts["train"], spec)
    if d["task"] != "regression" and len(pre.classes) < 2:
        raise DataError("The training split holds a single class.",
                        "Use more rows, or a target whose classes are less rare.")
    X = {k: pre.transform(v) for k, v in parts.items()}
    Y = {k: pre.encode_target(v[d["target"]]) for k, v in parts.items()}
    if d["task"] != "regression":
        for k, v in Y.items():  # classes unseen in training cannot be scored
            ok = v >= 0
            if not ok.all():
                X[k], Y[k], parts[k] = X[k][ok], v[ok], parts[k][ok]
                notes.append(f"{int((~ok).sum())} {k} row(s) have a class never seen in training "
                             "and were left out of that split.")
    shapes = check_stack(spec, X["train"].shape[1], len(pre.classes) or 1)
    return Prepared(spec=spec, notes=notes, pre=pre, X=X, y=Y,
                    rows={k: df.index.get_indexer(v.index) for k, v in parts.items()},
                    stratified=stratified, shapes=shapes, source=df, work=work)


def prepare_series(df: pd.DataFrame, work: pd.DataFrame, spec: dict, notes: list[str]) -> Prepared:
    """Time series: order each series by time, split the periods chronologically, fit the
    preprocessing on the training period and cut every series into look-back windows; a window
    belongs to the split of its target's time, so no model sees the period it is tested on."""
    from kwk.prep.series import (
        chronological_roles,
        duplicate_time,
        make_windows,
        relative_to_last,
        series_ids,
        series_labels,
        series_order,
        unreadable_times,
        window_positions,
    )
    d, tr = spec["data"], spec["training"]
    seq = d["sequence"]
    w, h = seq["window"], seq["horizon"]
    order, times = series_order(work, seq["time"], seq["group"])
    no_series = np.zeros(len(order), dtype=bool)
    if seq["group"]:
        no_series = series_labels(work[seq["group"]]).isna().to_numpy()[order]
        if no_series.all():
            raise DataError(f"The series column '{seq['group']}' is empty on every row with a "
                            "target value.", "Choose the column that names each series, or no "
                            "series column for a single series.")
        if no_series.any():
            notes.append(f"{int(no_series.sum())} row(s) with no value in the series column "
                         f"'{seq['group']}' were left out.")
    ok = ~np.isnan(times)
    bad_time = ~ok & ~no_series
    if bad_time.sum() > 0.5 * (~no_series).sum():
        bad = work[seq["time"]].iloc[order[bad_time]].dropna().astype(str).unique()[:3]
        raise unreadable_times(seq, list(bad), int(bad_time.sum()), int((~no_series).sum()))
    if bad_time.any():
        notes.append(f"{int(bad_time.sum())} row(s) with a missing or unreadable time in "
                     f"'{seq['time']}' were left out.")
    order, times = order[ok], times[ok]
    rows = work.iloc[order]
    groups = series_labels(rows[seq["group"]]).to_numpy() if seq["group"] else None
    dup = pd.DataFrame({"g": groups if groups is not None else 0, "t": times}).duplicated()
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        raise duplicate_time(seq, groups[i] if groups is not None else None,
                             rows[seq["time"]].iloc[i])
    roles = chronological_roles(times, tr["validation_fraction"], tr["test_fraction"])
    starts, targets = window_positions(series_ids(rows, seq["group"]), w, h)
    if len(starts) < MIN_ROWS:
        raise DataError(f"Only {len(starts)} look-back windows of {w} rows (plus a horizon of {h}) "
                        "fit in the series; at least {MIN_ROWS} are needed.".replace("{MIN_ROWS}", str(MIN_ROWS)),
                        "Use a shorter window or horizon, or more rows per series.")
    pre = Preprocessor.fit(rows[roles == 0], spec)
    X_all = make_windows(pre.encode_rows(rows), starts, w)
    values = to_number(rows[d["target"]]).to_numpy()
    last = values[starts + w - 1]  # naive: the latest value
    role = roles[targets]
    if pre.forecasts_change:
        # The network learns the change from the window's last value, standardised with the
        # training windows' changes; predictions are that last value plus the change.
        change = values[targets] - last
        train_change = change[role == 0]
        if train_change.size:
            pre.state["target"].update(mean=float(train_change.mean()),
                                       std=float(train_change.std()) or 1.0)
        t = pre.state["target"]
        y_all = ((change - t["mean"]) / t["std"]).astype(np.float32)
        if pre.relative_target_input:
            X_all = relative_to_last(X_all, w)
    else:
        y_all = pre.encode_target(rows[d["target"]].iloc[targets])
    names = ("train", "validation", "test")
    X, Y, pos, naive = {}, {}, {}, {}
    for r, k in enumerate(names):
        m = role == r
        if not m.any():
            raise DataError(f"No complete window has its target in the {k} period.",
                            "Use a shorter window or horizon, or a larger "
                            f"{'test' if k == 'test' else 'validation'} fraction.")
        X[k], Y[k], naive[k] = X_all[m], y_all[m], last[m]
        pos[k] = df.index.get_indexer(rows.index[targets[m]])
    t0 = rows[seq["time"]].iloc[targets[role == 2]]
    notes.append(f"{len(starts):,} windows: {len(Y['train']):,} train, {len(Y['validation']):,} "
                 f"validation, {len(Y['test']):,} test (targets from {t0.iloc[0]!s} on"
                 + (f", across {len(set(groups))} series" if groups is not None else "") + ").")
    shapes = check_stack(spec, X["train"].shape[1], 1)
    return Prepared(spec=spec, notes=notes, pre=pre, X=X, y=Y, rows=pos, stratified=False,
                    shapes=shapes, source=df, work=rows, extra={"naive": naive})


def class_weights(y: np.ndarray, k: int) -> dict:
    counts = np.bincount(y.astype(int), minlength=k).astype(float)
    w = len(y) / (k * np.maximum(counts, 1))
    return {i: float(w[i]) for i in range(k)}


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


@dataclass
class TrainResult:
    model: object
    prepared: Prepared
    history: dict
    metrics: dict
    details: dict
    status: str          # finished | stopped | early_stopped | diverged
    message: str
    seconds: float
    epochs_run: int
    extra_models: list = field(default_factory=list)  # (Prepared, model) per extra seed


def fit_model(model, p: Prepared, callbacks: list):
    """``model.fit`` with the spec's early stopping, schedule and class weights. Returns the
    EarlyStopping callback (or None)."""
    import keras

    from kwk.model.recipe import make_callbacks
    tr = p.spec["training"]
    own = make_callbacks(tr)
    es = next((c for c in own if isinstance(c, keras.callbacks.EarlyStopping)), None)
    callbacks = [*callbacks, *own]
    cw = class_weights(p.y["train"], p.n_classes) \
        if tr["class_weight"] == "balanced" and p.task != "regression" else None
    model.fit(model_input(p.X["train"]), p.y["train"],
              validation_data=(model_input(p.X["validation"]), p.y["validation"]),
              epochs=tr["epochs"], batch_size=tr["batch_size"], class_weight=cw,
              callbacks=callbacks, verbose=0, shuffle=True)
    return es


def summarize(runs: list[dict]) -> dict:
    """Mean and standard deviation of each scalar metric over several test results."""
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float)) or v is None]
    out = {"n": len(runs), "mean": {}, "sd": {}}
    for k in keys:
        vals = [r[k] for r in runs if r.get(k) is not None]
        if vals:
            out["mean"][k] = float(np.mean(vals))
            out["sd"][k] = float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0
    return out


def _scalars(test: dict) -> dict:
    return {k: v for k, v in test.items() if not isinstance(v, (dict, list))}


class Job:
    """Trains a prepared spec in a background thread.

    ``snapshot()`` returns a consistent copy of the live state: ``status`` (queued, running,
    stopping, finished, stopped, failed), ``epoch``, ``epochs``, ``batch``, ``batches``,
    ``elapsed``, ``eta``, ``history`` (lists per metric) and ``message``.
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
        self.extra_models: list = []  # (Prepared, model) of repeated runs, kept with the run
        self.gate = gate  # a kwk.runs.jobs.Gate limiting concurrent training, or None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        tr = prepared.spec["training"]
        n = len(prepared.y["train"])
        self._state = {"status": "queued", "epoch": 0, "epochs": tr["epochs"], "batch": 0,
                       "batches": max(1, math.ceil(n / tr["batch_size"])), "elapsed": 0.0,
                       "eta": None, "history": {}, "message": ""}
        self.result: TrainResult | None = None
        self.error: KwkError | None = None
        self._t0 = None

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
        try:
            self.result = self._train()
            self.retry_finish()
            self._set(status="stopped" if self.result.status == "stopped" else "finished",
                      message=self.result.message, elapsed=self.result.seconds, eta=0.0)
        except KwkError as e:
            self.error = e
            self._set(status="failed", message=str(e))
        except Exception as e:  # an unexpected failure must still reach the user as text
            self.error = TrainError(f"Training failed: {type(e).__name__}: {e}",
                                    "Try a smaller learning rate or a simpler network; if it "
                                    "persists, report it with the spec.")
            self.error.__cause__ = e
            self._set(status="failed", message=str(self.error),
                      trace=traceback.format_exc(limit=5))

    def _fit_and_score(self, p: Prepared, keep: list | None = None) -> dict:
        """Train one more model of the same spec on ``p`` (no live curves) and return its test
        metrics; ``keep`` collects ``(prepared, model)``. Honours stop() between batches."""
        import keras

        from kwk.model.builder import build_model, compile_model
        from kwk.evaluation.metrics import evaluate_prepared
        job = self

        class StopCheck(keras.callbacks.Callback):
            async_safe = True  # Keras may run the batch hook beside the next step

            def on_train_batch_end(self, batch, logs=None):
                if job._stop.is_set():
                    self.model.stop_training = True

        seed_everything(p.spec["training"]["seed"])
        model = build_model(p.spec, p.X["train"].shape[1], p.n_classes, adapt=p.X["train"])
        compile_model(model, p.spec, max(1, math.ceil(len(p.y["train"]) / p.spec["training"]["batch_size"])),
                      fused=True)
        fit_model(model, p, [StopCheck()])
        if keep is not None:
            keep.append((p, model))
        return _scalars(evaluate_prepared(model, p)[0]["test"])

    def _assess(self, p: Prepared, metrics: dict, details: dict) -> None:
        """Extra assessment asked for by the spec: k-fold cross-validation, repeated runs
        with other seeds, and bootstrap confidence intervals of the test metrics."""
        import copy

        from kwk.evaluation.metrics import bootstrap_ci
        tr = p.spec["training"]
        metrics["test_ci"] = bootstrap_ci(p.task, details["y"], details["out"],
                                          details["classes"], seed=tr["seed"])
        if tr["validation"] == "kfold" and p.work is not None and not self._stop.is_set():
            k = tr["folds"]
            folds = kfold_indices(p.work[p.spec["data"]["target"]], p.task, k, tr["seed"])
            results = []
            for i, fold in enumerate(folds, start=1):
                if self._stop.is_set():
                    break
                self._set(phase=f"Cross-validation: fold {i} of {k}")
                rest = np.setdiff1d(np.arange(len(p.work)), fold)
                # Early stopping watches an inner validation split of the other folds (never the
                # held-out fold); the inner "test" part goes back into training.
                inner_tr, inner_va, inner_rest, _ = split_indices(
                    p.work.iloc[rest][p.spec["data"]["target"]], p.task,
                    tr["validation_fraction"], 0.5, tr["seed"], tr["stratify"])
                inner_tr = np.concatenate([inner_tr, inner_rest])  # every non-fold row is used
                fp = encode_split(p.source, p.work, p.spec, [],
                                  (rest[inner_tr], rest[inner_va], fold), False)
                results.append(self._fit_and_score(fp))
            if len(results) == k:
                metrics["cv"] = {"k": k, "folds": results, **summarize(results)}
        if tr["repeats"] > 1 and p.source is not None and not self._stop.is_set():
            results = [_scalars(metrics["test"])]
            seeds = [tr["seed"]]
            for r in range(1, tr["repeats"]):
                if self._stop.is_set():
                    break
                self._set(phase=f"Repeated runs: seed {r + 1} of {tr['repeats']}")
                spec = copy.deepcopy(p.spec)
                spec["training"]["seed"] = tr["seed"] + r
                results.append(self._fit_and_score(prepare(p.source, spec), self.extra_models))
                seeds.append(tr["seed"] + r)
            if len(results) == tr["repeats"]:
                metrics["repeats"] = {"seeds": seeds, "runs": results, **summarize(results)}
        self._set(phase="")

    def _train(self) -> TrainResult:
        import keras

        from kwk.model.builder import build_model, compile_model
        from kwk.evaluation.metrics import evaluate_prepared
        p, job = self.prepared, self
        tr = p.spec["training"]
        seed_everything(tr["seed"])
        model = build_model(p.spec, p.X["train"].shape[1], p.n_classes, adapt=p.X["train"])
        compile_model(model, p.spec, self._state["batches"], fused=True)
        diverged = {}

        class Progress(keras.callbacks.Callback):
            # Thread-safe (state behind job._lock): Keras then runs the per-batch hook on a
            # helper thread instead of waiting for each step's loss before the next step.
            async_safe = True

            def on_epoch_begin(self, epoch, logs=None):
                job._set(epoch=epoch, batch=0)

            def on_train_batch_end(self, batch, logs=None):
                loss = (logs or {}).get("loss")
                if loss is not None and not math.isfinite(float(loss)):
                    diverged.update(epoch=job._state["epoch"] + 1, batch=batch + 1)
                    self.model.stop_training = True
                if job._stop.is_set():
                    self.model.stop_training = True
                job._set(batch=batch + 1)

            def on_epoch_end(self, epoch, logs=None):
                logs = dict(logs or {})
                try:
                    lr = self.model.optimizer.learning_rate
                    logs["lr"] = float(lr.numpy() if hasattr(lr, "numpy") else lr)
                except Exception:
                    pass
                el = time.monotonic() - job._t0
                with job._lock:
                    for k, v in logs.items():
                        job._state["history"].setdefault(k, []).append(
                            float(v) if v is not None and math.isfinite(float(v)) else None)
                    job._state["epoch"] = epoch + 1
                    job._state["elapsed"] = el
                    done = epoch + 1
                    job._state["eta"] = el / done * (job._state["epochs"] - done)

        t0 = time.monotonic()
        es = fit_model(model, p, [Progress()])
        seconds = time.monotonic() - t0
        history = self.snapshot()["history"]
        epochs_run = len(history.get("loss", []))
        if diverged:
            raise TrainError(
                f"The loss became NaN (not a number) at epoch {diverged['epoch']}, batch "
                f"{diverged['batch']}: training diverged.",
                f"Lower the learning rate (it is {tr['learning_rate']:g}; try "
                f"{tr['learning_rate'] / 10:g}), check the data for extreme values, or add a "
                "BatchNormalization layer.")
        if self._stop.is_set():
            status, msg = "stopped", f"Stopped by you after {epochs_run} epoch(s); the model " \
                                     "so far was kept."
        elif es is not None and es.stopped_epoch > 0:
            status, msg = "early_stopped", f"Stopped early after {epochs_run} epochs: validation " \
                                           f"loss had not improved for {tr['early_stopping_patience']} epochs."
        else:
            status, msg = "finished", f"Finished all {epochs_run} epochs."
        if epochs_run == 0:
            raise TrainError("Training was stopped before the first epoch finished, so there is "
                             "no model to keep.", "Start again and let it run at least one epoch.")
        metrics, details = evaluate_prepared(model, p)
        self._assess(p, metrics, details)
        return TrainResult(model=model, prepared=p, history=history, metrics=metrics,
                           details=details, status=status, message=msg, seconds=seconds,
                           epochs_run=epochs_run, extra_models=list(self.extra_models))


def diagnose(history: dict, min_epochs: int = 5) -> str | None:
    """A plain-language note when the curves show divergence or over-fitting, with a fix."""
    loss = [v for v in history.get("loss", []) if v is not None]
    val = [v for v in history.get("val_loss", []) if v is not None]
    if len(history.get("loss", [])) != len(loss):
        return ("The training loss stopped being a number: training diverged. Lower the learning "
                "rate (divide it by 10) or add BatchNormalization.")
    if len(loss) >= 3 and loss[-1] > 2 * min(loss) and loss[-1] > loss[0]:
        return ("The training loss is going up instead of down: training is diverging. Lower the "
                "learning rate (divide it by 10).")
    if len(val) >= min_epochs:
        best = int(np.argmin(val))
        since = len(val) - 1 - best
        if since >= 3 and val[-1] > 1.1 * val[best] and loss[-1] < loss[best]:
            return (f"Over-fitting: validation loss was best at epoch {best + 1} and has risen for "
                    f"{since} epochs while training loss keeps falling. Add Dropout, an L2 "
                    "penalty, fewer units, or early stopping (restore best weights).")
    return None
