"""Assessment beyond one test score, asked for by the spec: bootstrap confidence intervals of
the test metrics, k-fold cross-validation and repeated runs with other seeds. Each fold and
each repeated seed is a plain call of the training core (:func:`kwk.training.core.train_once`)
on its own :class:`kwk.prep.prepare.Prepared`.
"""
from __future__ import annotations

import copy
import threading
from typing import Callable

import numpy as np

from kwk.errors import TrainError
from kwk.prep.prepare import Prepared, encode_split, prepare
from kwk.prep.preprocess import kfold_indices, split_indices
from kwk.training.core import Feeder, Phase, Progress, TrainResult, train_once


def summarize(runs: list[dict]) -> dict:
    """Mean and standard deviation of each scalar metric over several test results:
    ``{"n", "mean": {metric: value}, "sd": {metric: value}}`` (sd with ddof 1)."""
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float)) or v is None]
    out = {"n": len(runs), "mean": {}, "sd": {}}
    for k in keys:
        vals = [r[k] for r in runs if r.get(k) is not None]
        if vals:
            out["mean"][k] = float(np.mean(vals))
            out["sd"][k] = float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0
    return out


def scalars(test: dict) -> dict:
    """The scalar test metrics (no curves or tables)."""
    return {k: v for k, v in test.items() if not isinstance(v, (dict, list))}


def fold_prepared(p: Prepared, fold: np.ndarray) -> Prepared:
    """``p``'s rows with ``fold`` (positions in ``p.work``) held out as the test split. Early
    stopping watches an inner validation split of the other folds (never the held-out fold);
    the inner "test" part goes back into training, so every non-fold row is used."""
    tr, target = p.spec["training"], p.spec["data"]["target"]
    rest = np.setdiff1d(np.arange(len(p.work)), fold)
    inner_tr, inner_va, inner_rest, _ = split_indices(
        p.work.iloc[rest][target], p.task, tr["validation_fraction"], 0.5, tr["seed"],
        tr["stratify"])
    inner_tr = np.concatenate([inner_tr, inner_rest])
    return encode_split(p.source, p.work, p.spec, [], (rest[inner_tr], rest[inner_va], fold), False)


def seed_prepared(p: Prepared, seed: int) -> Prepared:
    """``p``'s data prepared again with another seed (another split and initialisation)."""
    spec = copy.deepcopy(p.spec)
    spec["training"]["seed"] = seed
    return prepare(p.source, spec)


def _score(p: Prepared, stop: threading.Event | None) -> TrainResult | None:
    """One more model of the same spec (no live curves); None when a stop ended it first."""
    try:
        return train_once(p, stop=stop)
    except TrainError:
        if stop is not None and stop.is_set():
            return None
        raise


def assess(result: TrainResult, stop: threading.Event | None = None,
           phase: Callable[[str], None] = lambda text: None) -> None:
    """Add to ``result.metrics`` what the spec asks for: ``test_ci`` (bootstrap intervals),
    ``cv`` (k-fold) and ``repeats`` (other seeds); the repeated models go to
    ``result.extra_models``. ``phase`` receives a line saying what runs ("Cross-validation:
    fold 2 of 5"). A stop skips what has not finished."""
    from kwk.evaluation.metrics import bootstrap_ci
    p, metrics, details = result.prepared, result.metrics, result.details
    tr = p.spec["training"]

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    metrics["test_ci"] = bootstrap_ci(p.task, details["y"], details["out"], details["classes"],
                                      seed=tr["seed"])
    if tr["validation"] == "kfold" and p.work is not None and not stopped():
        k = tr["folds"]
        results = []
        for i, fold in enumerate(kfold_indices(p.work[p.spec["data"]["target"]], p.task, k,
                                               tr["seed"]), start=1):
            phase(f"Cross-validation: fold {i} of {k}")
            r = None if stopped() else _score(fold_prepared(p, fold), stop)
            if r is None:
                break
            results.append(scalars(r.metrics["test"]))
        if len(results) == k:
            metrics["cv"] = {"k": k, "folds": results, **summarize(results)}
    if tr["repeats"] > 1 and p.source is not None and not stopped():
        results, seeds = [scalars(metrics["test"])], [tr["seed"]]
        for r_i in range(1, tr["repeats"]):
            phase(f"Repeated runs: seed {r_i + 1} of {tr['repeats']}")
            r = None if stopped() else _score(seed_prepared(p, tr["seed"] + r_i), stop)
            if r is None:
                break
            result.extra_models.append((r.prepared, r.model))
            results.append(scalars(r.metrics["test"]))
            seeds.append(tr["seed"] + r_i)
        if len(results) == tr["repeats"]:
            metrics["repeats"] = {"seeds": seeds, "runs": results, **summarize(results)}
    phase("")


def train_and_assess(p: Prepared, feeder: Feeder | None = None, progress: Progress | None = None,
                     stop: threading.Event | None = None, phase: Phase | None = None,
                     assessed: bool = True) -> TrainResult:
    """Train one model of ``p`` through the core (:func:`train_once`: ``feeder``, ``progress``,
    ``stop`` and ``phase`` as there), then add what the spec asks for (:func:`assess`:
    bootstrap intervals, k-fold, repeats). Every way of training a run calls this: the
    background job, the tuning's final trainings, streamed and multi-worker training.
    ``assessed=False`` only trains (a worker of a cluster that is not the chief)."""
    result = train_once(p, feeder, progress, stop, phase)
    if assessed:
        say = phase or (lambda text: None)
        say("Bootstrap intervals")  # then assess names its own steps (folds, seeds)
        assess(result, stop, say)
    return result


def train_streamed(p: Prepared, on_epoch=None, stop=None) -> TrainResult:
    """Train a streamed plan (:func:`kwk.prep.streamed.plan`) through the core and score its
    test split (with bootstrap intervals). ``on_epoch(epoch, epochs, logs)`` is called after
    each epoch. Returns a :class:`kwk.training.core.TrainResult` ready for ``save_bundle``."""
    from kwk.training.stream import StreamFeeder

    def progress(t):
        if on_epoch is not None and t.logs is not None:
            on_epoch(t.epoch, t.epochs, {k: v for k, v in t.logs.items() if k != "lr"})
    return train_and_assess(p, StreamFeeder(p), progress, stop)
