"""An Optuna study over the spec's search space: every trial is one call of the training core
(:func:`kwk.training.core.train_once`) on the already prepared arrays, scored on the
validation data (or the k-fold mean over the training and validation rows). The test split is
never seen by the search: only the chosen network is trained again and scored on it, once.

A study lives in an Optuna storage: a SQLite file next to the results by default (an
interrupted search resumes), or any SQLAlchemy URL Optuna accepts, shared by every process that
runs the same search (each adds its own trials; Optuna gives every trial its own number).
"""
from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import math
import os
import threading
import time
from typing import Callable

import numpy as np

from kwk.errors import KwkError, SpecError, TrainError
from kwk.prep.prepare import Prepared, encode_split
from kwk.tune.space import (CLASS_METRICS, DEPTH, METRICS, REGRESSION_METRICS, apply,
                            cap_growth, current_values, default_tune, epoch_budget,
                            growth_text, propose, still_improving)

# Settings that are the search's training budget (grown by epoch_budget) unless searched
BUDGET_KEYS = ("training.epochs", "training.early_stopping_patience")

STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running",
          "WAITING": "waiting"}


def metric_for(p: Prepared, metric: str = "auto") -> tuple[str, str]:
    """``(metric, direction)`` a trial is scored by: ``auto`` is balanced accuracy for classes,
    R² for numbers and RMSE for time series."""
    series = bool(p.spec["data"].get("sequence"))
    if metric == "auto":
        metric = "balanced_accuracy" if p.task != "regression" else "rmse" if series else "r2"
    allowed = REGRESSION_METRICS if p.task == "regression" else CLASS_METRICS
    if metric not in allowed:
        raise SpecError(f"tune.metric '{metric}' does not fit a {p.task} target.",
                        f"Use auto or one of {', '.join(allowed)}.")
    return metric, METRICS[metric]


def score(model, p: Prepared, split: str, metric: str) -> float:
    """``metric`` of ``model`` on ``p``'s ``split`` (in the target's units for numbers)."""
    from kwk.evaluation.metrics import model_proba, scalar_metrics
    X = p.X[split]
    if len(X) <= 8192 and X.dtype != object:  # one call: much faster than predict() per epoch
        out = np.asarray(model(X, training=False), dtype=float)
        out = np.column_stack([1 - out.reshape(-1), out.reshape(-1)]) if p.task == "binary" \
            else out if p.task == "multiclass" else out.reshape(-1)
    else:
        out = model_proba(model, X, p.task)
    y = p.y[split]
    if p.task == "regression":
        naive = p.extra.get("naive") if p.pre.forecasts_change else None
        shift = np.asarray(naive[split], float) if naive is not None else 0.0
        y, out = p.pre.decode_regression(y) + shift, p.pre.decode_regression(out) + shift
    v = scalar_metrics(p.task, y, out, max(len(p.pre.classes), 1)).get(metric)
    return float("nan") if v is None else float(v)


def space_of(p: Prepared, tune: dict) -> dict:
    """The space searched: the spec's own, or the one proposed around its stack."""
    if tune.get("space"):
        return tune["space"]
    train = None
    if p.source is not None and "train" in p.rows and not p.streamed:
        train = p.source.iloc[p.rows["train"]]
    return propose(p.spec, p.counts.get("train"), data=train)


KEEP_PREPARED = 4  # data prepared with other transforms kept for the next trials (memory)


def transforms_key(spec: dict) -> str:
    """What the preparation of a trial depends on beyond the prepared data: its transforms."""
    d = spec.get("data") or {}
    return json.dumps([d.get("transforms") or {}, d.get("target_transform")], sort_keys=True)


def prepared_with(p: Prepared, spec: dict) -> Prepared:
    """``p``'s rows, split as they are, prepared again with ``spec``'s transforms (the
    preprocessing fitted on the same training rows)."""
    from kwk.prep.prepare import encode_split
    if transforms_key(spec) == transforms_key(p.spec):
        return p
    at = {s: p.work.index.get_indexer(p.source.index[p.rows[s]])
          for s in ("train", "validation", "test")}
    return encode_split(p.source, p.work, spec, [],
                        (at["train"], at["validation"], at["test"]), p.stratified)


def study_name(p: Prepared, fingerprint: str, space: dict, metric: str) -> str:
    """A name that is the same for the same data, network, space and metric (so processes
    running the same command share one study, and a different search gets its own)."""
    base = {k: v for k, v in p.spec.items() if k not in ("tune", "name")}
    key = json.dumps([base, space, metric, fingerprint], sort_keys=True, default=str)
    return "kwk-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def public_url(url: str) -> str:
    """The storage URL without user name or password."""
    try:
        from sqlalchemy.engine import make_url
        u = make_url(url)
        return u.set(username=None, password=None).render_as_string(hide_password=False)
    except Exception:  # not a URL SQLAlchemy reads: say nothing more than its scheme
        return url.split(":", 1)[0] + "://…"


# ---------------------------------------------------------------------- one trial
class _TrialFeeder:
    """The in-memory feeder of a trial: trains as usual, reports the validation score after
    each epoch to Optuna's pruner, and scores only that (no test split, no comparison model)."""
    note = ""

    def __init__(self, p: Prepared, split: str, metric: str, trial=None):
        from kwk.training.arrays import ArrayFeeder
        self.inner = ArrayFeeder(p)
        self.batches = self.inner.batches
        self.split, self.metric, self.trial = split, metric, trial
        self.pruned_at: int | None = None

    def build(self, p):
        return self.inner.build(p)

    def fit(self, model, p, callbacks, class_weight):
        import keras
        feeder = self

        class Report(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                value = score(self.model, p, feeder.split, feeder.metric)
                if not math.isfinite(value):
                    return
                feeder.trial.report(value, epoch + 1)
                if feeder.trial.should_prune():
                    feeder.pruned_at = epoch + 1
                    self.model.stop_training = True

        extra = [Report()] if self.trial is not None else []
        self.inner.fit(model, p, [*callbacks, *extra], class_weight)

    def evaluate(self, model, p):
        return {"score": score(model, p, self.split, self.metric)}, {}, p


def search_folds(p: Prepared, k: int) -> list[Prepared]:
    """k-fold over the training and validation rows only (the test rows stay out): each fold
    is held out in turn, early stopping watching an inner split of the others."""
    from kwk.prep.preprocess import kfold_indices, split_indices
    tr, target = p.spec["training"], p.spec["data"]["target"]
    src_index = p.source.index
    pool = np.concatenate([p.work.index.get_indexer(src_index[p.rows[s]])
                           for s in ("train", "validation")])
    out = []
    for fold in kfold_indices(p.work.iloc[pool][target], p.task, k, tr["seed"]):
        held = pool[fold]
        rest = np.setdiff1d(pool, held)
        i_tr, i_va, i_rest, _ = split_indices(p.work.iloc[rest][target], p.task,
                                              tr["validation_fraction"], 0.5, tr["seed"],
                                              tr["stratify"])
        out.append(encode_split(p.source, p.work, p.spec, [],
                                (rest[np.concatenate([i_tr, i_rest])], rest[i_va], held), False))
    return out


# ---------------------------------------------------------------------- the study
def display_number(number: int | None) -> int | None:
    """A trial's number as people see it (the first trial is 1), from Optuna's (from 0)."""
    return None if number is None else int(number) + 1


@dataclasses.dataclass
class Live:
    """What a running search is doing, for progress displays."""
    trial: int | None = None     # the running trial's number (Optuna's, from 0)
    epoch: int = 0
    epochs: int = 0
    fold: int = 0
    started: float = 0.0


class Search:
    """One study over ``prepared``'s data. ``tune`` is the spec's normalised ``tune`` section
    (defaults when the spec has none); ``storage`` an SQLAlchemy URL; ``name`` the study."""

    def __init__(self, prepared: Prepared, fingerprint: str, storage: str,
                 name: str | None = None, tune: dict | None = None, shared: bool = False):
        import warnings

        import optuna
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        if prepared.streamed:
            raise KwkError("Tuning needs the data in memory; this data is read in chunks.",
                           "Tune on a sample of the rows (a few hundred thousand are plenty), "
                           "then train the chosen network on all of them with --stream.")
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.p = prepared
        self.tune = {**default_tune(), **(tune or prepared.spec.get("tune") or {})}
        self.metric, self.direction = metric_for(prepared, self.tune["metric"])
        self.space = space_of(prepared, self.tune)
        if not self.space:
            raise SpecError("There is nothing to search in this network.",
                            "Give tune.space, or use layers with searchable settings (Dense, "
                            "Conv, recurrent, Embedding, Dropout).")
        tr = prepared.spec["training"]
        # the epoch cap grows when the best trials end at it still improving (not when the
        # space searches epochs or patience itself: then they are the user's to choose)
        self.grows = not any(k in self.space for k in BUDGET_KEYS)
        self.kfold = tr["validation"] == "kfold" and not prepared.spec["data"].get("sequence")
        self.name = name or study_name(prepared, fingerprint, self.space, self.metric)
        self.storage_url = storage
        self.live = Live()
        self.timed_out = False  # the last run() ended because its time was up
        self.reserved = 0.0  # seconds the last run() kept free for the final trainings
        self._folds: dict[str, list[Prepared]] = {}  # per transforms (transforms_key)
        self._by_transforms: dict[str, Prepared] = {}
        self._lock = threading.RLock()
        seed = tr["seed"] + (os.getpid() if shared else 0)  # processes must not draw alike
        n = self.tune["trials"]
        sampler = optuna.samplers.RandomSampler(seed=seed) if self.tune["sampler"] == "random" \
            else optuna.samplers.TPESampler(seed=seed, multivariate=True,
                                            n_startup_trials=min(10, max(3, n // 3)))
        steps = tr["folds"] if self.kfold else tr["epochs"]
        pruner = {"none": optuna.pruners.NopPruner(),
                  "median": optuna.pruners.MedianPruner(n_startup_trials=4,
                                                        n_warmup_steps=min(5, steps // 4)),
                  "hyperband": optuna.pruners.HyperbandPruner(
                      min_resource=max(1, steps // 10), max_resource=max(steps, 1),
                      reduction_factor=3)}[self.tune["pruner"]]
        self.study = self._open(storage, sampler, pruner)

    def _open(self, storage: str, sampler, pruner):
        import optuna
        kw = {}
        if storage.startswith("sqlite"):
            kw = {"connect_args": {"timeout": 60}}
        try:
            st = _storage(storage, kw)
            study = optuna.create_study(storage=st, study_name=self.name, sampler=sampler,
                                        pruner=pruner, direction=self.direction,
                                        load_if_exists=True)
        except ValueError as e:
            raise KwkError(f"The study '{self.name}' cannot be used: {e}",
                           "Give another --study name for a different search.")
        except Exception as e:  # a bad URL, an unreachable database, a missing driver
            raise KwkError(f"The search storage {public_url(storage)} cannot be opened: "
                           f"{type(e).__name__}: {str(e).splitlines()[0][:200]}",
                           "Check the URL (e.g. sqlite:///study.db or "
                           "postgresql://host/db) and that the database is reachable.")
        known = study.user_attrs.get("kwk")
        mine = {"metric": self.metric, "space": self.space}
        if known is None:
            study.set_user_attr("kwk", mine)
        elif json.dumps(known, sort_keys=True) != json.dumps(mine, sort_keys=True, default=str):
            raise KwkError(f"The study '{self.name}' was started with another metric or search "
                           "space.", "Give another --study name, or the same spec as before.")
        return study

    # ------------------------------------------------------------------ counts
    def counts(self) -> dict:
        out = {v: 0 for v in STATES.values()}
        for t in self.study.get_trials(deepcopy=False):
            out[STATES.get(t.state.name, t.state.name.lower())] += 1
        return out

    def finished(self) -> int:
        c = self.counts()
        return c["complete"] + c["pruned"] + c["failed"]

    # ------------------------------------------------------------------ running
    def run(self, n_trials: int, timeout: float | None = None,
            stop: threading.Event | None = None,
            on_trial: Callable[[dict], None] | None = None,
            reserve: Callable[["Search"], float] | None = None,
            clock: Callable[[], float] = time.monotonic) -> int:
        """Run ``n_trials`` more trials (fewer when ``timeout`` seconds pass or ``stop`` is set:
        the running trial ends at once and counts as pruned). Returns the trials run here.

        ``reserve(search)`` is the time (seconds) to keep free at the end of ``timeout`` for
        what follows the search (training the best network again), estimated again after every
        trial: the search ends when its time plus that reserve reaches ``timeout``
        (``self.reserved`` holds the last estimate). ``clock`` reads the time (tests pass
        their own)."""
        import optuna
        stop = stop or threading.Event()
        self.timed_out = False
        self.reserved = float(reserve(self)) if reserve is not None and timeout else 0.0
        t0 = clock()
        done = threading.Event()

        def time_up() -> bool:
            if timeout and clock() - t0 + self.reserved >= timeout:
                self.timed_out = True
                stop.set()
            return self.timed_out

        if timeout:
            def watch():
                while not done.wait(0.2) and not time_up():
                    pass
            threading.Thread(target=watch, name="kwk-tune-clock", daemon=True).start()
        own = current_values(self.p.spec, self.space)
        if own is not None and not self.study.get_trials(deepcopy=False):
            self.study.enqueue_trial(own, user_attrs={"own": True}, skip_if_exists=True)
        ran = [0]

        def after(study, trial):
            ran[0] += 1
            if reserve is not None and timeout:
                self.reserved = float(reserve(self))
            if on_trial is not None:
                on_trial(self.row(trial))
            if time_up() or stop.is_set():
                study.stop()

        try:
            if not stop.is_set() and not time_up():
                self.study.optimize(lambda t: self._objective(t, stop), n_trials=n_trials,
                                    callbacks=[after], catch=(KwkError,), gc_after_trial=True)
        finally:
            done.set()
            self.live = Live()
        return ran[0]

    def _same_settings(self, trial, stop: threading.Event, wait_s: float = 600.0):
        """A finished trial with this trial's settings, else None. Processes sharing a study
        can draw the same settings at once (each starts with the user's own network): when an
        earlier trial with them is still running, wait for its score (at most ``wait_s``;
        a process that died leaves it running) instead of training them twice."""
        import optuna
        states = optuna.trial.TrialState
        deadline = time.monotonic() + wait_s
        while True:
            running = False
            for t in self.study.get_trials(deepcopy=False,
                                           states=(states.COMPLETE, states.RUNNING)):
                if t.params != trial.params or t.number == trial.number:
                    continue
                if t.state == states.COMPLETE:
                    return t
                running = running or t.number < trial.number
            if not running or stop.is_set() or time.monotonic() > deadline:
                return None
            time.sleep(0.5)

    def _objective(self, trial, stop: threading.Event) -> float:
        import optuna
        layers = self.p.spec["layers"]
        values = {path: _suggest(trial, path, rng, layers) for path, rng in self.space.items()}
        seen = self._same_settings(trial, stop)
        if seen is not None:  # scored already (or by another process meanwhile): no second run
            trial.set_user_attr("duplicate_of", seen.number)
            trial.set_user_attr("epochs", 0)
            return seen.value
        spec = apply(self.p.spec, values)
        spec["training"]["repeats"] = 1
        if self.grows:
            budget = self.budget()
            spec["training"].update(epochs=budget["epochs"],
                                    early_stopping_patience=budget["patience"])
            trial.set_user_attr("epoch_cap", budget["epochs"])
            trial.set_user_attr("patience", budget["patience"])
        trial.set_user_attr("spec_layers", len(spec["layers"]))
        try:
            from kwk.spec import check_stack
            check_stack(spec, self.p.n_inputs, self.p.n_classes)
            value, epochs = (self._kfold if self.kfold else self._holdout)(trial, spec, stop)
        except KwkError as e:
            trial.set_user_attr("error", str(e))
            raise
        finally:
            gc.collect()
        trial.set_user_attr("epochs", epochs)
        if stop.is_set():
            trial.set_user_attr("stopped", True)
            raise optuna.TrialPruned("stopped")
        if not math.isfinite(value):
            trial.set_user_attr("error", f"The {self.metric} could not be computed.")
            raise TrainError(f"The {self.metric} could not be computed for this trial.")
        return value

    def prepared_for(self, spec: dict) -> Prepared:
        """The data prepared with the trial's transforms (once per combination)."""
        key = transforms_key(spec)
        if key == transforms_key(self.p.spec):
            return self.p
        with self._lock:
            if key not in self._by_transforms:
                while len(self._by_transforms) >= KEEP_PREPARED:  # memory: the latest few
                    self._by_transforms.pop(next(iter(self._by_transforms)))
                self._by_transforms[key] = prepared_with(self.p, spec)
            return self._by_transforms[key]

    def _train(self, p: Prepared, feeder, stop):
        from kwk.training.core import train_once
        return train_once(p, feeder, self._tick, stop)

    def _tick(self, t) -> None:
        self.live.epoch, self.live.epochs = t.epoch, t.epochs

    def _holdout(self, trial, spec: dict, stop) -> tuple[float, int]:
        import optuna
        p = dataclasses.replace(self.prepared_for(spec), spec=spec, notes=[])
        feeder = _TrialFeeder(p, "validation", self.metric, trial)
        self.live = Live(trial=trial.number, epochs=spec["training"]["epochs"],
                         started=time.monotonic())
        r = self._train(p, feeder, stop)
        if feeder.pruned_at is not None:
            trial.set_user_attr("epochs", r.epochs_run)
            raise optuna.TrialPruned(f"pruned at epoch {feeder.pruned_at}")
        trial.set_user_attr("at_cap", still_improving(r.history, spec["training"]["epochs"]))
        return r.metrics["score"], r.epochs_run

    def _kfold(self, trial, spec: dict, stop) -> tuple[float, int]:
        import optuna
        with self._lock:
            key = transforms_key(spec)
            if key not in self._folds:
                while len(self._folds) >= KEEP_PREPARED:
                    self._folds.pop(next(iter(self._folds)))
                self._folds[key] = search_folds(self.prepared_for(spec),
                                                self.p.spec["training"]["folds"])
            folds = self._folds[key]
        scores, epochs, at_cap = [], 0, 0
        for i, fp in enumerate(folds, start=1):
            p = dataclasses.replace(fp, spec=spec, notes=[])
            self.live = Live(trial=trial.number, epochs=spec["training"]["epochs"], fold=i,
                             started=time.monotonic())
            r = self._train(p, _TrialFeeder(p, "test", self.metric), stop)
            scores.append(r.metrics["score"])
            epochs += r.epochs_run
            at_cap += still_improving(r.history, spec["training"]["epochs"])
            if stop.is_set():
                break
            trial.report(float(np.mean(scores)), i)
            if trial.should_prune():
                trial.set_user_attr("epochs", epochs)
                raise optuna.TrialPruned(f"pruned after fold {i}")
        trial.set_user_attr("fold_scores", scores)
        trial.set_user_attr("at_cap", at_cap * 2 > len(scores))  # most folds still improving
        return float(np.mean(scores)), epochs

    # ------------------------------------------------------------------ results
    def row(self, t) -> dict:
        """One trial as the leaderboard lists it."""
        secs = (t.datetime_complete - t.datetime_start).total_seconds() \
            if t.datetime_complete and t.datetime_start else None
        # "number" is Optuna's (from 0); "trial" the one people see, from 1, everywhere
        out = {"number": t.number, "trial": display_number(t.number), "params": dict(t.params),
               "value": None if t.value is None or not math.isfinite(t.value) else float(t.value),
               "state": STATES.get(t.state.name, t.state.name.lower()),
               "epochs": t.user_attrs.get("epochs"), "seconds": secs}
        if t.state.name == "PRUNED" and out["value"] is None and t.intermediate_values:
            out["last_reported"] = float(list(t.intermediate_values.values())[-1])
        for k in ("own", "duplicate_of", "error", "stopped", "epoch_cap", "patience", "at_cap"):
            if k in t.user_attrs:
                out[k] = t.user_attrs[k]
        return out

    def leaderboard(self) -> list[dict]:
        """Every trial, the best first (complete ones by score, then the others by number)."""
        rows = [self.row(t) for t in self.study.get_trials(deepcopy=False)]
        sign = -1 if self.direction == "maximize" else 1
        return sorted(rows, key=lambda r: (r["state"] != "complete" or r["value"] is None,
                                           sign * (r["value"] or 0), r["number"]))

    def best(self) -> dict | None:
        """The best complete trial's row, or None."""
        rows = self.leaderboard()
        return rows[0] if rows and rows[0]["state"] == "complete" and rows[0]["value"] is not None \
            else None

    def own(self) -> dict | None:
        """The trial of the user's own settings, when it ran."""
        return next((r for r in self.leaderboard() if r.get("own")), None)

    def best_spec(self) -> dict:
        """The spec of the best trial (its values written in; the tune section kept)."""
        b = self.best()
        if b is None:
            raise KwkError("No trial has finished yet, so there is no best network.",
                           "Run the search with more trials or more time.")
        spec = apply(self.p.spec, b["params"])
        if b.get("epoch_cap"):  # the budget it was trained with, so the final run matches it
            spec["training"].update(epochs=b["epoch_cap"],
                                    early_stopping_patience=b["patience"])
        return spec

    # ------------------------------------------------------------------ the epoch budget
    def _budget_trials(self) -> list[dict]:
        """The trials the budget rule reads: complete ones trained here (not repeats)."""
        return [r for r in (self.row(t) for t in self.study.get_trials(deepcopy=False))
                if r["state"] == "complete" and r.get("duplicate_of") is None
                and r.get("epoch_cap")]

    def budget(self) -> dict:
        """The epochs and patience the next trial trains with (:func:`epoch_budget`)."""
        tr = self.p.spec["training"]
        if not self.grows:
            return {"epochs": tr["epochs"], "patience": tr["early_stopping_patience"]}
        return epoch_budget(tr["epochs"], tr["early_stopping_patience"], self._budget_trials(),
                            self.direction == "maximize")

    def epoch_caps(self) -> dict:
        """What the summary and the record say about the epoch cap: the spec's, the one the
        next trial gets, how it grew, how many trials ended at their cap still improving, and
        the sentence that says so."""
        tr = self.p.spec["training"]
        trials = self._budget_trials()
        growth = cap_growth(tr["epochs"], trials)
        nxt = self.budget()
        text = growth_text(growth)
        if self.grows and nxt["epochs"] > max([tr["epochs"], *(g["grew_to"] for g in growth)]):
            cap = max([tr["epochs"], *(g["grew_to"] for g in growth)])
            hit = sum(1 for t in trials if t["epoch_cap"] == cap and t.get("at_cap"))
            text = (text + " " if text else "") + (
                f"{hit} trial(s) hit the {cap}-epoch cap while still improving: later trials "
                f"get {nxt['epochs']} epochs (patience {nxt['patience']}).")
        elif not self.grows:
            text = "The epoch cap stays as the space searches epochs or patience itself."
        return {"start": tr["epochs"], "next": nxt["epochs"], "patience": nxt["patience"],
                "growth": growth, "grows": self.grows,
                "at_cap": sum(1 for t in trials if t.get("at_cap")), "text": text}

    def summary(self) -> dict:
        """What ``study.json`` holds."""
        b, own = self.best(), self.own()
        return {"study": self.name, "storage": public_url(self.storage_url),
                "metric": self.metric, "direction": self.direction,
                "split": "k-fold mean over training and validation rows" if self.kfold
                else "validation rows", "counts": self.counts(),
                "trials": len(self.study.get_trials(deepcopy=False)), "space": self.space,
                "best": b, "own": own, "epoch_cap": self.epoch_caps()}

    def note(self) -> str:
        """The sentence a run of the best network carries."""
        c, b = self.counts(), self.best()
        tried = c["complete"] + c["pruned"] + c["failed"]
        own = self.own()
        vs = f" (your own network: {own['value']:.4g})" if own and own.get("value") is not None \
            else ""
        caps = self.epoch_caps()
        grew = f" {caps['text']}" if caps["growth"] else ""
        return (f"Chosen by a search of {tried} trial(s) ({c['complete']} complete, "
                f"{c['pruned']} pruned, {c['failed']} failed) on the {self.summary()['split']}: "
                f"{self.metric} {b['value']:.4g}{vs}.{grew} The test rows were never seen by "
                "the search; the metrics below are this network's only test score.")


def _storage(url: str, engine_kwargs: dict):
    """Optuna's RDB storage. Processes that start together may race to create its tables
    (one of them then sees a duplicate row): wait a moment and open it again."""
    import optuna
    from sqlalchemy.exc import IntegrityError, OperationalError
    for attempt in range(8):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs,
                                              heartbeat_interval=30, grace_period=120)
        except (IntegrityError, OperationalError):
            if attempt == 7:
                raise
            time.sleep(0.25 * (attempt + 1))


def _suggest(trial, path: str, rng: dict, layers: list):
    """The trial's value for ``path``: a choice, or a whole or real number in the range (as the
    setting's own type)."""
    from kwk.tune.space import param_at
    if "choices" in rng:
        return trial.suggest_categorical(path, rng["choices"])
    lo, hi, log = rng["low"], rng["high"], bool(rng.get("log"))
    param, _ = param_at(path, layers)
    if param is None or param.value_type == "int":
        return trial.suggest_int(path, int(lo), int(hi), log=log, step=int(rng.get("step") or 1))
    return trial.suggest_float(path, float(lo), float(hi), log=log, step=rng.get("step"))
