"""Analysis a statistician expects beyond one accuracy number: decision thresholds, cumulative
gains and lift, calibration, permutation importance and the prediction profiler.

Inputs are plain arrays or DataFrames; a ``predict`` callable maps raw rows (DataFrame with the
original column names) to an ``(n, k)`` probability matrix (classification) or an ``(n,)``
vector (regression). No Streamlit here; Keras only through the callable.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from kwk.data.kinds import MAX_LEVELS, whole_levels
from kwk.data.numbers import to_number


def threshold_metrics(y: np.ndarray, p1: np.ndarray, threshold: float) -> dict:
    """Binary decisions at ``threshold`` on the probability of class 1: the confusion counts
    (tn, fp, fn, tp), accuracy, precision, recall and F1."""
    y = np.asarray(y).astype(int)
    pred = (np.asarray(p1, float) >= threshold).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": float(threshold), "tn": tn, "fp": fp, "fn": fn, "tp": tp,
            "accuracy": (tp + tn) / max(len(y), 1), "precision": precision, "recall": recall,
            "f1": f1, "confusion_matrix": [[tn, fp], [fn, tp]]}


def gains_lift(y: np.ndarray, p1: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Cumulative gains and lift by share of rows ranked by predicted probability.

    Columns: ``fraction`` (share of rows targeted, best first), ``gain`` (share of all positives
    captured), ``lift`` (gain / fraction; 1 = random)."""
    y = np.asarray(y).astype(int)
    order = np.argsort(-np.asarray(p1, float), kind="stable")
    hits = np.cumsum(y[order])
    total = max(int(y.sum()), 1)
    n = len(y)
    cuts = np.unique(np.ceil(np.linspace(0, n, n_bins + 1)[1:]).astype(int))
    frac = cuts / n
    gain = hits[cuts - 1] / total
    return pd.DataFrame({"fraction": frac, "gain": gain, "lift": gain / frac})


def calibration(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Reliability curve: per probability bin, the mean predicted probability, the observed
    frequency of the event and the number of rows (empty bins are left out)."""
    y = np.asarray(y).astype(float)
    p = np.clip(np.asarray(p, float), 0, 1)
    idx = np.minimum((p * n_bins).astype(int), n_bins - 1)
    rows = []
    for b in range(n_bins):
        m = idx == b
        if m.any():
            rows.append({"predicted": float(p[m].mean()), "observed": float(y[m].mean()),
                         "count": int(m.sum())})
    return pd.DataFrame(rows, columns=["predicted", "observed", "count"])


def _score(task: str, y: np.ndarray, out: np.ndarray) -> float:
    """A smooth score, higher is better, so small changes show: mean log likelihood of the true
    class (classification) or negative RMSE (regression)."""
    if task == "regression":
        return -float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(out, float)) ** 2)))
    proba = np.clip(np.asarray(out, float), 1e-7, 1)
    return float(np.mean(np.log(proba[np.arange(len(y)), np.asarray(y).astype(int)])))


def importance_axis(task: str, target: str) -> str:
    """What a permutation-importance bar measures, in words (see :func:`_score`)."""
    if task == "regression":
        return f"rise in RMSE ({target}'s units) when the column is shuffled"
    return "drop in mean log-likelihood of the true class when the column is shuffled"


def permutation_importance(predict: Callable[[pd.DataFrame], np.ndarray], rows: pd.DataFrame,
                           y: np.ndarray, task: str, features: list[str] | dict[str, list[str]],
                           repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """How much worse the model gets when one input column's values are shuffled (on the given,
    normally the test, rows). ``features`` may map a name to several columns shuffled together
    (the same rows swapped in each: a picture's pixels, all the columns of one input). Columns:
    ``feature``, ``importance`` (mean drop of the score: log likelihood per row, or RMSE for
    regression), ``sd`` over ``repeats`` shuffles; sorted, most important first."""
    rng = np.random.default_rng(seed)
    base = _score(task, y, predict(rows))
    groups = features if isinstance(features, dict) else {f: [f] for f in features}
    out = []
    for f, cols in groups.items():
        drops = []
        for _ in range(repeats):
            shuffled = rows.copy()
            order = rng.permutation(len(rows))
            for c in cols:
                shuffled[c] = rows[c].to_numpy()[order]
            drops.append(base - _score(task, y, predict(shuffled)))
        out.append({"feature": f, "importance": float(np.mean(drops)),
                    "sd": float(np.std(drops, ddof=1)) if repeats > 1 else 0.0})
    return pd.DataFrame(out).sort_values("importance", ascending=False, ignore_index=True)


def importance_groups(pre) -> list[str] | dict[str, list[str]]:
    """What the permutation importance shuffles: each input column; for a mixed-input model,
    each input as a whole ("input: text (description)", "input: image (64 pixels)", "input:
    table"), then each of the table's columns."""
    inputs = pre.inputs
    if not inputs:
        return list(pre.features)
    n = len(inputs.get("table", []))
    names = {"table": f"input: table ({n} column{'' if n == 1 else 's'})",
             "text": f"input: text ({', '.join(inputs.get('text', []))})",
             "image": f"input: image ({len(inputs.get('image', []))} pixels)"}
    out = {names[b]: list(cols) for b, cols in inputs.items()}
    out.update({c: [c] for c in inputs.get("table", [])})
    return out


def input_permutation_importance(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                                 y: np.ndarray, task: str, groups: dict[str, list[int]],
                                 repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Permutation importance on encoded model inputs: for each column, the inputs in
    ``groups[column]`` (for a time series, its values at every step of the window) are shuffled
    together across the rows of ``X``. Same columns and score as :func:`permutation_importance`."""
    rng = np.random.default_rng(seed)
    base = _score(task, y, predict(X))
    out = []
    for f, idx in groups.items():
        drops = []
        for _ in range(repeats):
            shuffled = X.copy()
            shuffled[:, idx] = X[rng.permutation(len(X))][:, idx]
            drops.append(base - _score(task, y, predict(shuffled)))
        out.append({"feature": f, "importance": float(np.mean(drops)),
                    "sd": float(np.std(drops, ddof=1)) if repeats > 1 else 0.0})
    return pd.DataFrame(out).sort_values("importance", ascending=False, ignore_index=True)


def profile_grid(values: pd.Series, kind: str, n_points: int = 30) -> list:
    """The values a profiler sweeps for one feature: evenly spaced between the 1st and 99th
    percentiles for numbers, the most frequent labels for categories. A number column that
    holds only a few whole numbers (a code such as a store 1, 2, 3, 4, 7, or a small count:
    :func:`kwk.data.kinds.whole_levels`) sweeps only the values it holds, never a store 5."""
    if kind == "numeric":
        v = to_number(values).dropna()
        if v.empty:
            return []
        levels = whole_levels(v, min(n_points, MAX_LEVELS))
        if levels is not None:
            return levels
        lo, hi = np.percentile(v, [1, 99])
        if lo == hi:
            return [float(lo)]
        return [float(x) for x in np.linspace(lo, hi, n_points)]
    from kwk.prep.preprocess import (
        as_labels,  # the labels the model was trained on ("1", not "1.0")
    )
    top = as_labels(values).dropna().value_counts().index[:n_points].tolist()
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        order = {str(c): i for i, c in enumerate(values.cat.categories)}
        return sorted(top, key=lambda v: order.get(v, len(order)))
    return sorted(top, key=_natural_key)  # their own order, not how often they occur


def _natural_key(label: str):
    """Numbers by value ('2' before '10'), then text alphabetically."""
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label.casefold())


def analyses_for(task: str, modality: str) -> list[str]:
    """The Evaluate tabs that mean something for a run: a forecast for a series, the decision
    threshold for two classes, column importance unless the input is text, the profiler only
    where one column of one row can be changed (tables: a picture's hundreds of pixels, each
    swept alone, held Evaluate for minutes and said little; its heat-maps show the pixels)."""
    per_column = modality == "table"
    return (["Charts"] + (["Forecast"] if modality == "series" else [])
            + (["Decision threshold"] if task == "binary" else [])
            + (["Importance"] if modality != "text" else [])
            + (["Profiler"] if per_column else []) + ["Report"])


def grid_is_levels(grid: list) -> bool:
    """True when a number column's profiler grid is the values the column holds (a code or a
    small count, see :func:`profile_grid`), not evenly spaced points: a control must offer only
    those values, never a store 5 between stores 4 and 7."""
    return 1 < len(grid) <= MAX_LEVELS and all(float(x).is_integer() for x in grid)


def profiler_bands(curves: dict, others: list[dict]) -> dict:
    """Per feature, the (low, high) range of the profiler curves of several models (repeated
    seeds) around ``curves``; empty without other models."""
    bands = {}
    for f, curve in curves.items():
        if others:
            stack = np.vstack([curve["prediction"]] + [o[f]["prediction"] for o in others])
            bands[f] = (stack.min(axis=0), stack.max(axis=0))
    return bands


def shared_range(curves: dict, bands: list | None = None, pad: float = 0.05) -> list[float] | None:
    """One y range for every profiler panel (as JMP's profiler): a 0.4 change must not look
    as steep as a 10-unit one. ``curves``: feature -> frame with ``prediction``."""
    vals = [np.asarray(c["prediction"], float) for c in curves.values()]
    vals += [np.asarray(b, float) for b in (bands or []) if b is not None]
    vals = [v[np.isfinite(v)] for v in vals if len(v)]
    vals = [v for v in vals if len(v)]
    if not vals:
        return None
    lo, hi = float(min(v.min() for v in vals)), float(max(v.max() for v in vals))
    span = (hi - lo) or max(abs(hi), 1.0) * 0.1
    return [lo - pad * span, hi + pad * span]


def profiler_curves(predict: Callable[[pd.DataFrame], np.ndarray], base: dict,
                    grids: dict[str, list], output: int | None = None) -> dict[str, pd.DataFrame]:
    """JMP's prediction profiler: for each feature, the prediction as that feature sweeps its
    grid while every other input stays at ``base`` (a dict of raw values). ``output`` picks the
    class column of a probability matrix (None for regression). One ``predict`` call in all."""
    frames, spans = [], {}
    start = 0
    for f, grid in grids.items():
        if not grid:
            continue
        block = pd.DataFrame([base] * len(grid))
        block[f] = grid
        frames.append(block)
        spans[f] = (start, start + len(grid))
        start += len(grid)
    if not frames:
        return {}
    out = np.asarray(predict(pd.concat(frames, ignore_index=True)), float)
    pred = out[:, output] if out.ndim == 2 and output is not None else out.reshape(len(out), -1)[:, 0]
    return {f: pd.DataFrame({"value": grids[f], "prediction": pred[a:b]})
            for f, (a, b) in spans.items()}


def default_base(df: pd.DataFrame, features: list[str], kinds: dict[str, str]) -> dict:
    """The profiler's starting point: medians for numbers, most frequent labels otherwise."""
    base = {}
    for f in features:
        s = df[f]
        if kinds.get(f) == "numeric":
            v = to_number(s)
            base[f] = float(v.median()) if v.notna().any() else 0.0
            levels = whole_levels(v.dropna())
            if levels:  # a code or a small count starts at a value it holds (not store 3.5)
                base[f] = min(levels, key=lambda x: (abs(x - base[f]), x))
        else:
            vc = s.dropna().value_counts()
            base[f] = vc.index[0] if len(vc) else None
    return base


def _flatten(d, prefix="") -> dict:
    """Nested spec -> ``{"training.epochs": 30, "Dense 2.units": 16, ...}``. Layers are keyed
    by their type and its occurrence (the 2nd Dense is "Dense 2"), not by position, so adding a
    Dropout does not make every later layer look changed."""
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            if k == "layers" and isinstance(v, list) and not prefix:
                out["layers (count)"] = len(v)
                seen: dict[str, int] = {}
                for i, layer in enumerate(v, 1):
                    t = str(layer.get("type", "?")) if isinstance(layer, dict) else "?"
                    seen[t] = seen.get(t, 0) + 1
                    key = f"{t} {seen[t]}"
                    out[f"{key} (position)"] = f"layer {i}"
                    out.update(_flatten({a: b for a, b in layer.items() if a != "type"}, key)
                               if isinstance(layer, dict) else {key: layer})
            else:
                out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = d
    return out


def spec_differences(specs: dict[str, dict]) -> pd.DataFrame:
    """The settings that differ between specs: one row per setting, one column per spec
    (named by the dict keys); "—" where a spec lacks the setting. Settings that read the same
    everywhere are left out."""
    flat = {name: _flatten(s) for name, s in specs.items()}
    keys = sorted({k for f in flat.values() for k in f})
    rows = []
    for k in keys:
        shown = ["—" if flat[n].get(k) is None else str(flat[n][k]) for n in flat]
        if len(set(shown)) > 1:
            rows.append({"setting": k, **dict(zip(flat, shown))})
    return pd.DataFrame(rows, columns=["setting", *flat])


def roc_points(y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """One ROC curve per model: class 1 for two classes, the micro-average of one-vs-rest
    curves for several. Returns ``(fpr, tpr, auc)``."""
    from sklearn.metrics import auc, roc_curve
    y = np.asarray(y).astype(int)
    proba = np.asarray(proba, float)
    if proba.shape[1] == 2:
        fpr, tpr, _ = roc_curve(y, proba[:, 1])
    else:
        fpr, tpr, _ = roc_curve(np.eye(proba.shape[1])[y].ravel(), proba.ravel())
    return fpr, tpr, float(auc(fpr, tpr))


def misclassified(y: np.ndarray, out: np.ndarray, classes: list[str],
                  limit: int | None = None) -> pd.DataFrame:
    """The test examples a classifier got wrong, most confident mistakes first.

    ``y``: true class indices (n,); ``out``: class probabilities (n, k), or (n,) / (n, 1) for a
    binary model's positive class. Returns one row per mistake: ``position`` (index into ``y``),
    ``actual`` and ``predicted`` class names and ``probability`` (of the predicted class); at most
    ``limit`` rows."""
    out = np.asarray(out, dtype=float)
    probs = out if out.ndim == 2 and out.shape[1] > 1 else \
        np.c_[1 - out.reshape(-1), out.reshape(-1)]
    pred = probs.argmax(1)
    actual = np.asarray(y).astype(int)
    wrong = np.flatnonzero(pred != actual)
    conf = probs[wrong, pred[wrong]]
    order = np.argsort(-conf, kind="stable")[:limit]
    wrong, conf = wrong[order], conf[order]
    return pd.DataFrame({"position": wrong, "actual": [classes[i] for i in actual[wrong]],
                         "predicted": [classes[i] for i in pred[wrong]], "probability": conf})
