"""Predictor screening (JMP's *Predictor Screening*) and the leakage flags built on it.

Each column is judged **alone**: a small one-column model predicts the target from it, and its
out-of-fold predictions (``FOLDS``-fold cross-validation on a sample of at most ``MAX_ROWS``
rows) are scored. Numbers and dates go through a shallow decision tree (so thresholds, signs,
bumps and monotone transforms all count, not only straight lines); categories through the
per-category majority class (classification) or mean (regression), learned on the training
folds, unseen categories getting the overall one.

Scores: regression, the cross-validated R² (below 0 shown as 0); classification, the balanced
accuracy rescaled so that guessing is 0 and perfection 1, ``(bacc - 1/k) / (1 - 1/k)``.

A column that *alone* predicts the target almost perfectly is a leakage suspect whatever its
form: a copy, a monotone transform (the log of the target), a threshold or sign that gives the
class, a category that determines it. Identifiers and constants are not screened (the model
leaves them out); tables too small to tell a leak from a strong honest predictor get no flags.

Plain numpy/pandas; scikit-learn is imported inside :func:`screen`.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kwk.data.numbers import to_number

MAX_ROWS = 5_000          # rows screened (a seeded sample of bigger tables)
MAX_COLUMNS = 300         # columns screened; the rest are listed as skipped
FOLDS = 5
MAX_CLASSES = 100         # a target with more labels (an ID-like target) is not screened
SHALLOW_LEAVES = 8        # the one-column tree every number column gets
MAX_LEAVES = 48           # ... and, when that one is already strong, a finer one (a transform of
                          # the target is then judged on a close fit, not on 8 steps)
MIN_ROWS_FOR_LEAK = 100   # fewer rows: a perfect honest predictor cannot be told from a leak
MIN_CLASS_FOR_LEAK = 10   # ... nor when the rarest class has fewer rows than this
LEAK_R2 = 0.99            # regression: alone, the column explains ≥ 99% of the variance
LEAK_RANK = 0.995         # regression: rank correlation (a monotone transform of the target)
LEAK_COPY = 0.995         # |linear correlation|: a (rescaled) copy. The old 0.98 flagged honest,
                          # strong linear predictors (R² 0.96), so it now matches LEAK_R2
LEAK_BACC = 0.99          # classification: balanced accuracy of the column alone
SKIP_KINDS = ("identifier", "constant", "text")
HOW_TO_READ = ("Each bar is how well that column **alone** predicts the target (cross-validated, "
               "0 = no better than guessing, 1 = perfect). Long bars are strong inputs; a bar "
               "near 1 is too good to be true: check that column is known before the target.")


def _is_classification(task: str) -> bool:
    return task in ("binary", "multiclass", "classification")


def _guess_task(y: pd.Series, kind: str | None) -> str:
    from kwk.spec.resolving import infer_task
    return infer_task(y, kind or ("numeric" if ptypes.is_numeric_dtype(y) else "categorical"))[0]


def _folds(n: int, k: int, seed: int) -> np.ndarray:
    """Fold number of each row: shuffled, as equal as possible."""
    f = np.arange(n) % k
    np.random.default_rng(seed).shuffle(f)
    return f


def _as_number(s: pd.Series, kind: str = "numeric") -> np.ndarray:
    """Numbers (dates as a count of time units; only their order matters here)."""
    if kind == "datetime" and not ptypes.is_datetime64_any_dtype(s):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = pd.to_datetime(s, errors="coerce", format="mixed")
    if ptypes.is_datetime64_any_dtype(s):
        miss = s.isna().to_numpy()
        filled = s.where(~miss, s.dropna().iloc[0]) if (~miss).any() else None
        if filled is None:
            return np.full(len(s), np.nan)
        v = filled.astype("int64").to_numpy(dtype=float)
        v[miss] = np.nan
        return v
    if ptypes.is_bool_dtype(s):
        return s.astype(float).to_numpy()
    return to_number(s).to_numpy(dtype=float, na_value=np.nan)


def _tree_oof(x: np.ndarray, y: np.ndarray, folds: np.ndarray, classify: bool,
              leaves: int, min_leaf: int) -> np.ndarray:
    """Out-of-fold predictions of a decision tree on one number column. The tree sees the
    values rescaled to [0, 1] (the same splits; huge numbers and nanosecond dates stay
    distinct in its 32-bit floats); missing values get a value of their own, -1."""
    import warnings

    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    v = _unit(np.where(np.isfinite(x), x, np.nan))
    fin = np.isfinite(v)
    if fin.any():
        lo, hi = np.min(v[fin]), np.max(v[fin])
        v = (v - lo) / (hi - lo) if hi > lo else v - lo
    X = np.where(fin, v, -1.0).reshape(-1, 1)
    n = len(y)
    pred = np.zeros(n, dtype=int if classify else float)
    Model = DecisionTreeClassifier if classify else DecisionTreeRegressor
    with warnings.catch_warnings():  # "more classes than half the rows": intended here
        warnings.simplefilter("ignore", UserWarning)
        for k in np.unique(folds):
            test = folds == k
            m = Model(max_leaf_nodes=leaves, min_samples_leaf=min_leaf, random_state=0)
            m.fit(X[~test], y[~test])
            pred[test] = m.predict(X[test])
    return pred


def _group_oof(codes: np.ndarray, y: np.ndarray, folds: np.ndarray, classify: bool,
               n_classes: int) -> np.ndarray:
    """Out-of-fold predictions of the per-category majority class / mean."""
    n = len(y)
    n_cat = int(codes.max()) + 1 if n else 0
    pred = np.zeros(n, dtype=int if classify else float)
    for k in np.unique(folds):
        test, train = folds == k, folds != k
        if classify:
            counts = np.zeros((n_cat, n_classes))
            np.add.at(counts, (codes[train], y[train]), 1)
            overall = int(np.bincount(y[train], minlength=n_classes).argmax())
            best = counts.argmax(axis=1)
            seen = counts.sum(axis=1) > 0
            table = np.where(seen, best, overall)
        else:
            sums = np.bincount(codes[train], weights=y[train], minlength=n_cat)
            cnt = np.bincount(codes[train], minlength=n_cat)
            overall = float(y[train].mean())
            with np.errstate(invalid="ignore", divide="ignore"):
                table = np.where(cnt > 0, sums / np.maximum(cnt, 1), overall)
        pred[test] = table[codes[test]]
    return pred


def _r2(y: np.ndarray, p: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - p) ** 2).sum()) / ss if ss > 0 else 0.0


def _balanced_accuracy(y: np.ndarray, p: np.ndarray, n_classes: int) -> float:
    recalls = [float((p[y == c] == c).mean()) for c in range(n_classes) if (y == c).any()]
    return float(np.mean(recalls)) if recalls else 0.0


def _score(value: float, classify: bool, n_classes: int) -> float:
    """0 = no better than guessing, 1 = perfect."""
    if classify:
        return max(0.0, (value - 1 / n_classes) / (1 - 1 / n_classes))
    return max(0.0, value)


def _value(y: np.ndarray, p: np.ndarray, classify: bool, n_classes: int) -> float:
    v = _balanced_accuracy(y, p, n_classes) if classify else _r2(y, p)
    return v if np.isfinite(v) else 0.0


def _unit(v: np.ndarray) -> np.ndarray:
    """``v`` divided by its largest absolute value (missing values ignored): no overflow in
    squares or differences of huge numbers."""
    top = np.nanmax(np.abs(v)) if np.isfinite(v).any() else 0.0
    return v / top if np.isfinite(top) and top > 0 else v


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = _unit(a), _unit(b)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return 0.0
    r = float(np.corrcoef(a, b)[0, 1])
    return r if np.isfinite(r) else 0.0


def _ranks(v: np.ndarray) -> np.ndarray:
    return pd.Series(v).rank().to_numpy()


def screen(df: pd.DataFrame, target: str, features: list[str] | None = None,
           task: str | None = None, kinds: dict[str, str] | None = None,
           max_rows: int = MAX_ROWS, folds: int = FOLDS, seed: int = 0) -> dict:
    """Screen every feature of ``df`` against ``target``, each column alone.

    ``features`` default to every other column; ``task`` (binary, multiclass, regression)
    is inferred from the target when not given; ``kinds`` are known column kinds (the profile's),
    inferred otherwise. Returns a JSON-serialisable dict::

        {"task", "metric", "rows" (screened), "sampled" (bool), "seconds",
         "columns": [{"column", "kind", "score" (0..1), "value" (R² or balanced accuracy),
                      "leak" (None or the reason, one sentence)}, ...]  best first,
         "skipped": [{"column", "why"}], "leak_checked" (bool), "note" (str or None)}
    """
    from kwk.data.kinds import infer_kind
    t0 = time.perf_counter()
    if target not in df.columns:
        from kwk.errors import DataError
        raise DataError(f"The target column '{target}' is not in the data.")
    kinds = dict(kinds or {})
    if features is None:
        features = [str(c) for c in df.columns if str(c) != str(target)]
    features = [c for c in features if c != target and c in df.columns]
    # sample the row positions first: a big table is never copied whole
    idx = np.flatnonzero(df[target].notna().to_numpy())
    sampled = len(idx) > max_rows
    if sampled:
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_rows, replace=False))
    data = df.iloc[idx][list(dict.fromkeys([*features[:MAX_COLUMNS], target]))]
    y_raw = data[target]
    if task in (None, "auto"):
        task = _guess_task(df[target], kinds.get(target))
    classify = _is_classification(task)
    note = None
    if classify:
        codes, classes = pd.factorize(y_raw.astype(str), sort=True)
        y = codes.astype(int)
        n_classes = len(classes)
        metric = "balanced accuracy"
    else:
        y = to_number(y_raw).to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(y)
        data, y = data[ok], _unit(y[ok])  # R² and correlations do not depend on the scale
        n_classes = 0
        metric = "R²"
    n = len(y)
    out = {"task": task, "metric": metric, "rows": int(n), "sampled": bool(sampled),
           "columns": [], "skipped": [], "leak_checked": False, "note": None, "seconds": 0.0}
    if classify and n_classes > MAX_CLASSES:
        out["note"] = (f"the target has {n_classes} different labels: too many classes to "
                       "screen the columns against")
        out["skipped"] = [{"column": c, "why": "not screened"} for c in features]
        return out
    if n < 10 or (classify and n_classes < 2) or (not classify and np.std(y) == 0):
        out["note"] = "too few usable rows (or a single target value) to screen the columns"
        out["skipped"] = [{"column": c, "why": "not screened"} for c in features]
        return out
    rarest = int(np.bincount(y).min()) if classify else n
    leak_ok = n >= MIN_ROWS_FOR_LEAK and rarest >= MIN_CLASS_FOR_LEAK
    if not leak_ok:
        few = f"only {n} rows" if n < MIN_ROWS_FOR_LEAK else \
            f"the rarest class has only {rarest} rows"
        note = (few + ": too few to tell a leak from a strong honest predictor, so no column "
                "is flagged as one")
    out["leak_checked"], out["note"] = leak_ok, note
    k = int(min(folds, max(2, n // 5)))
    fold = _folds(n, k, seed)
    y_ranks = None if classify else _ranks(y)
    rows = []
    for c in features[:MAX_COLUMNS]:
        s = data[c]
        kind = kinds.get(c) or infer_kind(df[c] if len(df) <= 200_000 else s)[0]
        if kind in SKIP_KINDS:
            out["skipped"].append({"column": c, "why": f"{kind} column (the model leaves it out)"})
            continue
        leak, cats = None, np.zeros(1, dtype=int)
        try:
            if kind in ("numeric", "datetime"):
                x = _as_number(s, kind)
                if np.isfinite(x).sum() < 2:
                    out["skipped"].append({"column": c, "why": "no numbers"})
                    continue
                leaves = max(SHALLOW_LEAVES, n_classes + 2)  # room for one leaf per class
                p = _tree_oof(x, y, fold, classify, leaves, max(5, n // 50))
                if _score(_value(y, p, classify, n_classes), classify, n_classes) >= 0.3:
                    fine = _tree_oof(x, y, fold, classify, MAX_LEAVES, max(3, n // 200))
                    if _value(y, fine, classify, n_classes) > _value(y, p, classify, n_classes):
                        p = fine
            else:  # categorical, boolean: one value per category (missing is a category)
                cats = pd.factorize(s.astype(str).where(s.notna(), "\x00missing"))[0].astype(int)
                x = None
                p = _group_oof(cats, y, fold, classify, n_classes)
        except (TypeError, ValueError) as e:
            out["skipped"].append({"column": c, "why": f"cannot be read as {kind}: {e}"})
            continue
        value = _value(y, p, classify, n_classes)
        judged, where = value, ""  # a leak with gaps: judged on the rows where it has a value
        if x is not None:
            fin = np.isfinite(x)
            if 0.5 <= fin.mean() < 1 and fin.sum() >= MIN_ROWS_FOR_LEAK:
                present = _value(y[fin], p[fin], classify, n_classes)
                if present > judged:
                    judged, where = present, f" on the {int(fin.sum()):,} rows where it has a value"
        if classify:
            score = _score(value, classify, n_classes)
            if leak_ok and judged >= LEAK_BACC:
                how = ("a threshold (or the sign) of it gives the class" if x is not None
                       else "each of its values goes with a single class")
                leak = (f"predicts the target almost perfectly on its own (balanced accuracy "
                        f"{judged:.3f}{where}): {how}. Is it derived from the target?")
        else:
            score = _score(value, classify, n_classes)
            if x is not None and leak_ok and score >= 0.5:  # a number with few values: bands?
                fin = np.isfinite(x)
                cats = pd.factorize(np.where(fin, x, np.inf))[0].astype(int)
            if leak_ok and score >= 0.5 and 2 <= cats.max() + 1 <= 50:
                # the other way round: does the target alone tell the category? A category
                # (or a number with few values) made by cutting the target into bands
                # (price_band, a decile) is told perfectly; an honest one overlaps.
                n_cats = int(cats.max()) + 1
                back = _tree_oof(y, cats, fold, True, max(SHALLOW_LEAVES, 2 * n_cats),
                                 max(3, n // 200))
                b = _balanced_accuracy(cats, back, n_cats)
                if b >= LEAK_BACC:
                    what = "values" if x is not None else "categories"
                    leak = (f"is a banding of the target: its {n_cats} {what} cover separate "
                            f"ranges of the target (told from the target with balanced accuracy "
                            f"{b:.3f}). Is it derived from the target?")
            if leak_ok and x is not None:
                fin = np.isfinite(x)
                r = _corr(x[fin], y[fin])
                rho = _corr(_ranks(x[fin]), y_ranks[fin]) if fin.mean() > 0.9 else 0.0
                if abs(r) >= LEAK_COPY:
                    leak = (f"is almost identical to the target (correlation {r:.3f}): a copy of "
                            "the target?")
                elif abs(rho) >= LEAK_RANK:
                    leak = (f"rises and falls with the target in lockstep (rank correlation "
                            f"{rho:.3f}): a transform of the target (a log, a rescaling)?")
            if leak is None and leak_ok and judged >= LEAK_R2:
                leak = (f"predicts the target almost perfectly on its own (R² {judged:.3f}"
                        f"{where}): a transform of the target?")
        rows.append({"column": c, "kind": kind, "score": round(float(score), 4),
                     "value": round(float(value), 4), "leak": leak})
    for c in features[MAX_COLUMNS:]:
        out["skipped"].append({"column": c, "why": f"only the first {MAX_COLUMNS} columns are "
                                                   "screened"})
    rows.sort(key=lambda r: -r["score"])
    out["columns"] = rows
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def leak_message(row: dict) -> str:
    """The warning for one flagged column: names it, says why, proposes leaving it out."""
    return (f"'{row['column']}' {row['leak']} If so, leave it out: a model trained with it "
            "looks perfect here and fails on new rows, where it is not known yet.")


def leakage_warnings(result: dict) -> list[dict]:
    """``[{"columns": [name], "message": ...}]`` for every flagged column of a :func:`screen`
    result (the profile's warning format)."""
    return [{"columns": [r["column"]], "message": leak_message(r), "kind": "leakage"}
            for r in result["columns"] if r["leak"]]
