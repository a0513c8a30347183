"""Predictor screening (JMP's *Predictor Screening*) and the leakage flags built on it.

Each column is judged **alone**: a small one-column model predicts the target from it, and its
out-of-fold predictions (``FOLDS``-fold cross-validation on a sample of at most ``MAX_ROWS``
rows) are scored. Numbers and dates go through a shallow decision tree (so thresholds, signs,
bumps and monotone transforms all count, not only straight lines); categories through one
prediction per category, learned on the training folds, unseen categories getting the overall
one.

The headline ``score`` (0 = no better than guessing, 1 = perfect):

- classification: the cross-validated **log-loss reduction** of the column's predicted class
  *probabilities* against the class shares alone (a deviance R², McFadden-like):
  ``1 - logloss(column) / logloss(class shares)``, below 0 shown as 0. The probabilities are the
  class shares within each category (or each leaf of the tree), shrunk towards the overall shares
  as if ``PRIOR_WEIGHT`` rows of the overall mix were added to each (an unseen category gets the
  overall shares). Unlike the accuracy of a majority rule, it sees a column that shifts the odds
  without changing the most likely class (77% choose A under a flag, 53% elsewhere). Binary
  targets also get ``auc``, the cross-validated ROC AUC of the same probabilities.
- regression: the cross-validated R² (below 0 shown as 0) of the better of the tree and a
  straight line (numbers: a line extrapolates to the largest values of a skewed column, where a
  tree's outer leaf stops) or of the per-category mean (categories).

``value`` keeps its old meaning: classification, the balanced accuracy of the column's majority
rule (the most frequent class per category or leaf); regression, the R² before the floor at 0.
The leak flags are judged on it.

How stable the ranking is: the out-of-fold losses are resampled ``BOOTSTRAP`` times (rows drawn
with replacement, the same draws for every column; the one-column models are not refit), giving
each column a 90% range of its score (``score_low``, ``score_high``) and of its rank
(``rank_low``, ``rank_high``; 1 = best). Columns whose ranges overlap may swap places on
another sample of rows.

A column that *alone* predicts the target almost perfectly is a leakage suspect whatever its
form: a copy, a monotone transform (the log of the target), a threshold or sign that gives the
class, a category that determines it. Identifiers and constants are not screened (the model
leaves them out); tables too small to tell a leak from a strong honest predictor get no flags.

Plain numpy/pandas; scikit-learn is imported inside :func:`screen`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

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
PRIOR_WEIGHT = 1.0        # classification: each category's (leaf's) class shares are shrunk
                          # towards the overall shares as if this many rows of them were added
PREFIX_LEAVES = (2, 3, 4, 6, 8, 16, 32)  # classification: the smaller trees tried for the
                                         # probabilities (:func:`_tree_oof`)
BOOTSTRAP = 200           # resamples of the out-of-fold losses for the score and rank ranges
LEVEL = 0.9               # ... which cover this share of them
SKIP_KINDS = ("identifier", "constant", "text")
HOW_TO_READ = ("Each bar is how well that column **alone** predicts the target, on rows it was "
               "not fitted to (cross-validated): for classes, how much its predicted "
               "probabilities improve on the class shares alone (log-loss reduction), for "
               "numbers the R²; 0 = no better than guessing, 1 = perfect. A column that only "
               "shifts the odds (more yes under one value, still mostly no) gets a short bar, "
               "not none. The whiskers show the range of the score over resampled rows (90%): "
               "columns whose whiskers overlap may swap places on another sample. Long bars are "
               "strong inputs; a bar near 1 is too good to be true: check that column is known "
               "before the target.")


def _is_classification(task: str) -> bool:
    return task in ("binary", "multiclass", "classification")


def _guess_task(y: pd.Series, kind: str | None) -> str:
    from kwk.data.task import infer_task
    return infer_task(y, kind or ("numeric" if ptypes.is_numeric_dtype(y) else "categorical"))[0]


def _folds(n: int, k: int, seed: int) -> np.ndarray:
    """Fold number of each row: shuffled, as equal as possible."""
    f = np.arange(n) % k
    np.random.default_rng(seed).shuffle(f)
    return f


def _as_number(s: pd.Series, kind: str = "numeric") -> np.ndarray:
    """Numbers (dates as a count of time units; only their order matters here)."""
    if kind == "datetime" and ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)  # decimal years: ordered
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


def _class_table(g_tr: np.ndarray, y_tr: np.ndarray, n_groups: int,
                 n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group (a category, a leaf) learned on training rows: the majority class (an unseen
    group: the overall one) and the class probabilities (:func:`_shrunk`)."""
    counts = np.bincount(g_tr * n_classes + y_tr,
                         minlength=n_groups * n_classes).reshape(n_groups, n_classes)
    return _shrunk(counts, np.bincount(y_tr, minlength=n_classes))


def _shrunk(counts: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From the class counts per group (groups × classes) and overall: each group's majority
    class (an empty group: the overall one) and its class shares shrunk towards the overall
    shares as if ``PRIOR_WEIGHT`` rows of those were added (an empty group: the overall
    shares)."""
    prior = _prior(total)
    size = counts.sum(axis=1)
    best = np.where(size > 0, counts.argmax(axis=1), int(total.argmax()))
    proba = (counts + PRIOR_WEIGHT * prior) / (size + PRIOR_WEIGHT)[:, None]
    return best, proba


def _prior(total: np.ndarray) -> np.ndarray:
    """The class shares of the training rows (a class absent there gets half a row: no zero)."""
    return (total + 0.5) / (total.sum() + 0.5 * len(total))


def _tree_oof(x: np.ndarray, y: np.ndarray, folds: np.ndarray, classify: bool,
              leaves: int, min_leaf: int, n_classes: int = 0):
    """Out-of-fold predictions of a decision tree on one number column, and (classification
    with ``n_classes``) out-of-fold class probabilities (else None). The tree sees the values
    rescaled to [0, 1] (the same splits; huge numbers and nanosecond dates stay distinct in its
    32-bit floats); missing values get a value of their own, -1.

    The probabilities are the shrunk class shares of a leaf (:func:`_class_table`), of the
    tree or of a smaller one: a tree grown best-first (``max_leaf_nodes``) with its first
    ``j - 1`` splits *is* the ``j``-leaf tree, so the smaller trees (``PREFIX_LEAVES``) cost no
    fit; the size whose out-of-fold log-loss is lowest is kept (a weak trend is measured by a
    few wide leaves rather than eight noisy ones)."""
    import warnings

    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    v = _unit(np.where(np.isfinite(x), x, np.nan))
    fin = np.isfinite(v)
    if fin.any():
        lo, hi = np.min(v[fin]), np.max(v[fin])
        v = (v - lo) / (hi - lo) if hi > lo else v - lo
    X = np.where(fin, v, -1.0).reshape(-1, 1)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    n = len(y)
    pred = np.zeros(n, dtype=int if classify else float)
    proba = None
    if classify and n_classes:
        proba = np.zeros((n, n_classes))
        sizes = sorted({j for j in PREFIX_LEAVES if j < leaves} | {leaves})
        cand = np.zeros((len(sizes), n, n_classes))
    Model = DecisionTreeClassifier if classify else DecisionTreeRegressor
    with warnings.catch_warnings():  # "more classes than half the rows": intended here
        warnings.simplefilter("ignore", UserWarning)
        for k in np.unique(folds):
            test = folds == k
            m = Model(max_leaf_nodes=leaves, min_samples_leaf=min_leaf, random_state=0)
            m.fit(X[~test], y[~test])
            if proba is None:
                pred[test] = m.predict(X[test])
                continue
            tree = m.tree_
            leaf = tree.apply(X32)  # every row's leaf (one call for both halves: no checks)
            counts = np.bincount(leaf[~test] * n_classes + y[~test],
                                 minlength=tree.node_count * n_classes
                                 ).reshape(tree.node_count, n_classes)
            best, table = _shrunk(counts, counts.sum(axis=0))
            pred[test] = best[leaf[test]]  # the leaf's majority class: the tree's prediction
            # the j-leaf tree: the first j - 1 splits made nodes 0 .. 2j - 2, and a child's id
            # is above its parent's, so a node's leaf there is its deepest ancestor among
            # them; the class counts are summed over the leaves it covers
            last = (2 * np.array(sizes) - 2)[:, None]
            offset = (np.arange(len(sizes)) * tree.node_count)[:, None]
            parent = np.zeros(tree.node_count, dtype=np.intp)
            for child in (tree.children_left, tree.children_right):
                inner = child >= 0
                parent[child[inner]] = np.flatnonzero(inner)
            anc = np.broadcast_to(np.arange(tree.node_count), (len(sizes), tree.node_count))
            while (anc > last).any():
                anc = np.where(anc > last, parent[anc], anc)
            flat = (anc + offset).ravel()
            small = np.zeros((len(sizes) * tree.node_count, n_classes))
            np.add.at(small, flat, np.tile(counts, (len(sizes), 1)))
            table = _shrunk(small, counts.sum(axis=0))[1]
            cand[:, test] = table[anc[:, leaf[test]] + offset]
    if proba is not None:
        loss = -np.log(np.clip(cand[:, np.arange(n), y], 1e-15, 1.0)).sum(axis=1)
        proba = cand[int(np.argmin(loss))]
    return pred, proba


def _linear_oof(x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Out-of-fold predictions of a least-squares line on one number column; a row without a
    value gets the mean target of the training rows without one (or of all training rows)."""
    v = _unit(np.where(np.isfinite(x), x, np.nan))
    fin = np.isfinite(v)
    pred = np.zeros(len(y))
    for k in np.unique(folds):
        test, train = folds == k, folds != k
        fit = train & fin
        if fit.sum() >= 2 and np.ptp(v[fit]) > 0:
            slope, intercept = np.polyfit(v[fit], y[fit], 1)
        else:
            slope, intercept = 0.0, float(y[train].mean())
        pred[test & fin] = intercept + slope * v[test & fin]
        gone = train & ~fin
        pred[test & ~fin] = float(y[gone].mean()) if gone.any() else float(y[train].mean())
    return pred


def _group_oof(codes: np.ndarray, y: np.ndarray, folds: np.ndarray, classify: bool,
               n_classes: int):
    """Out-of-fold predictions of the per-category majority class / mean, and (classification)
    the per-category class probabilities (:func:`_class_table`; regression: None)."""
    n = len(y)
    n_cat = int(codes.max()) + 1 if n else 0
    pred = np.zeros(n, dtype=int if classify else float)
    proba = np.zeros((n, n_classes)) if classify else None
    for k in np.unique(folds):
        test, train = folds == k, folds != k
        if classify:
            best, table = _class_table(codes[train], y[train], n_cat, n_classes)
            pred[test], proba[test] = best[codes[test]], table[codes[test]]
        else:
            sums = np.bincount(codes[train], weights=y[train], minlength=n_cat)
            cnt = np.bincount(codes[train], minlength=n_cat)
            overall = float(y[train].mean())
            with np.errstate(invalid="ignore", divide="ignore"):
                table = np.where(cnt > 0, sums / np.maximum(cnt, 1), overall)
            pred[test] = table[codes[test]]
    return pred, proba


def _prior_oof(y: np.ndarray, folds: np.ndarray, n_classes: int) -> np.ndarray:
    """Out-of-fold probabilities of the class shares alone (the baseline: guessing)."""
    proba = np.zeros((len(y), n_classes))
    for k in np.unique(folds):
        test = folds == k
        proba[test] = _prior(np.bincount(y[~test], minlength=n_classes))
    return proba


def _losses(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Each row's log-loss, ``-log p(its class)``."""
    return -np.log(np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0))


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC of the score ``p`` for class 1 (ties count half)."""
    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return 0.5
    r = pd.Series(p).rank().to_numpy()
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


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


@dataclass
class _Target:
    """The screened target, shared by every column's stage: its values (class codes, or the
    numbers rescaled to unit variance), the folds, the per-row loss of the baseline (classes)
    and whether leaks may be flagged on this many rows."""
    y: np.ndarray
    classify: bool
    n_classes: int
    fold: np.ndarray
    base_loss: np.ndarray | None
    y_ranks: np.ndarray | None
    leak_ok: bool

    @property
    def n(self) -> int:
        return len(self.y)


def screen(df: pd.DataFrame, target: str, features: list[str] | None = None,
           task: str | None = None, kinds: dict[str, str] | None = None,
           max_rows: int = MAX_ROWS, folds: int = FOLDS, seed: int = 0,
           progress=None, stop=None) -> dict | None:
    """Screen every feature of ``df`` against ``target``, each column alone.

    ``progress(done, total)`` is called before each column; ``stop`` (a
    ``threading.Event``) set while it runs makes it return None (the app runs the screening
    in the background and lets the user stop it).

    ``features`` default to every other column; ``task`` (binary, multiclass, regression)
    is inferred from the target when not given; ``kinds`` are known column kinds (the profile's),
    inferred otherwise. Returns a JSON-serialisable dict::

        {"task", "metric" (what ``score`` is), "value_metric" (what ``value`` is),
         "rows" (screened), "sampled" (bool), "seconds",
         "columns": [{"column", "kind",
                      "score" (0..1: log-loss reduction for classes, R² for numbers),
                      "value" (balanced accuracy of the majority rule, or R² unfloored),
                      "auc" (binary targets only), "rank" (1 = best),
                      "score_low", "score_high", "rank_low", "rank_high" (90% ranges over
                      resampled rows), "leak" (None or the reason, one sentence)}, ...]
                    best first,
         "skipped": [{"column", "why"}], "leak_checked" (bool), "note" (str or None),
         "stability": {"method", "resamples", "level"}}

    The stages: the rows sampled (:func:`_sample`), the target read (:func:`_read_target`),
    the cases that cannot be screened (:func:`_unscreenable`), whether leaks can be told on
    this many rows (:func:`_leak_note`), then each column fitted alone (:func:`_fit_column`)
    and judged (:func:`_judge_column`), and the ranking's stability (:func:`_stability`).
    """
    t0 = time.perf_counter()
    if target not in df.columns:
        from kwk.errors import DataError
        raise DataError(f"The target column '{target}' is not in the data.")
    kinds = dict(kinds or {})
    if features is None:
        features = [str(c) for c in df.columns if str(c) != str(target)]
    features = [c for c in features if c != target and c in df.columns]
    screened = features[:MAX_COLUMNS]
    data, sampled = _sample(df, target, screened, max_rows, seed)
    if task in (None, "auto"):
        task = _guess_task(df[target], kinds.get(target))
    classify = _is_classification(task)
    data, y, n_classes = _read_target(data, target, classify)
    metric, value_metric = (("log-loss reduction", "balanced accuracy") if classify
                            else ("R²", "R²"))
    out = {"task": task, "metric": metric, "value_metric": value_metric, "rows": int(len(y)),
           "sampled": bool(sampled), "columns": [], "skipped": [], "leak_checked": False,
           "note": None, "seconds": 0.0,
           "stability": {"method": "the out-of-fold losses resampled (rows drawn with "
                                   "replacement; the one-column models are not refit)",
                         "resamples": BOOTSTRAP, "level": LEVEL}}
    why_not = _unscreenable(y, classify, n_classes)
    if why_not:
        out["note"] = why_not
        out["skipped"] = [{"column": c, "why": "not screened"} for c in features]
        return out
    n = len(y)
    note = _leak_note(y, classify)
    out["leak_checked"], out["note"] = note is None, note
    fold = _folds(n, int(min(folds, max(2, n // 5))), seed)
    t = _Target(y=y, classify=classify, n_classes=n_classes, fold=fold,
                # per-row losses of the baseline (the class shares); numbers: the mean's
                base_loss=_losses(y, _prior_oof(y, fold, n_classes)) if classify else None,
                y_ranks=None if classify else _ranks(y), leak_ok=note is None)
    rows, row_losses = [], []
    for i, c in enumerate(screened):
        if progress is not None:
            progress(i, len(screened))
        if stop is not None and stop.is_set():
            return None
        s = data[c]
        kind = kinds.get(c) or _infer_kind(df[c] if len(df) <= 200_000 else s)
        if kind in SKIP_KINDS:
            out["skipped"].append({"column": c, "why": f"{kind} column (the model leaves it out)"})
            continue
        try:
            fit = _fit_column(s, kind, t)
        except (TypeError, ValueError) as e:
            out["skipped"].append({"column": c, "why": f"cannot be read as {kind}: {e}"})
            continue
        if fit is None:
            out["skipped"].append({"column": c, "why": "no numbers"})
            continue
        row, loss = _judge_column(c, kind, fit, t)
        rows.append(row)
        row_losses.append(loss)
    for c in features[MAX_COLUMNS:]:
        out["skipped"].append({"column": c, "why": f"only the first {MAX_COLUMNS} columns are "
                                                   "screened"})
    _stability(rows, row_losses, y, t.base_loss, seed)
    rows.sort(key=lambda r: -r["score"])
    out["columns"] = rows
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def _infer_kind(s: pd.Series) -> str:
    from kwk.data.kinds import infer_kind
    return infer_kind(s)[0]


def _sample(df: pd.DataFrame, target: str, features: list[str], max_rows: int,
            seed: int) -> tuple[pd.DataFrame, bool]:
    """The rows with a target (a seeded sample of ``max_rows`` of them when there are more)
    and the screened columns. The row positions are drawn first: a big table is never
    copied whole."""
    idx = np.flatnonzero(df[target].notna().to_numpy())
    sampled = len(idx) > max_rows
    if sampled:
        idx = np.sort(np.random.default_rng(seed).choice(idx, max_rows, replace=False))
    return df.iloc[idx][list(dict.fromkeys([*features, target]))], sampled


def _read_target(data: pd.DataFrame, target: str,
                 classify: bool) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The rows kept, the target's values and its number of classes (0 for numbers): class
    codes in sorted label order, or the numbers rescaled to unit variance (R² and
    correlations do not depend on the scale), rows whose target is not a number dropped."""
    y_raw = data[target]
    if classify:
        codes, classes = pd.factorize(y_raw.astype(str), sort=True)
        return data, codes.astype(int), len(classes)
    y = to_number(y_raw).to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(y)
    return data[ok], _unit(y[ok]), 0


def _unscreenable(y: np.ndarray, classify: bool, n_classes: int) -> str | None:
    """Why no column can be screened against this target, or None."""
    if classify and n_classes > MAX_CLASSES:
        return (f"the target has {n_classes} different labels: too many classes to "
                "screen the columns against")
    if len(y) < 10 or (classify and n_classes < 2) or (not classify and np.std(y) == 0):
        return "too few usable rows (or a single target value) to screen the columns"
    return None


def _leak_note(y: np.ndarray, classify: bool) -> str | None:
    """Why no column is flagged as a leak on this target (too few rows, or too few of the
    rarest class to tell a leak from a strong honest predictor), or None."""
    n = len(y)
    rarest = int(np.bincount(y).min()) if classify else n
    if n >= MIN_ROWS_FOR_LEAK and rarest >= MIN_CLASS_FOR_LEAK:
        return None
    few = f"only {n} rows" if n < MIN_ROWS_FOR_LEAK else \
        f"the rarest class has only {rarest} rows"
    return (few + ": too few to tell a leak from a strong honest predictor, so no column "
            "is flagged as one")


@dataclass
class _Fit:
    """One column's one-column model: its out-of-fold predictions ``p`` (classes: the
    majority rule's class; numbers: the value), class probabilities ``proba`` (classes), the
    column as numbers ``x`` (None for a category) and its category codes ``cats``."""
    p: np.ndarray
    proba: np.ndarray | None
    x: np.ndarray | None
    cats: np.ndarray


def _fit_column(s: pd.Series, kind: str, t: _Target) -> _Fit | None:
    """The column alone, fitted out of fold: numbers and dates by a tree (a finer one when the
    shallow one is already strong; numbers also by a straight line), categories by one value
    per category (missing is a category). None for a number column with fewer than 2
    numbers."""
    if kind not in ("numeric", "datetime"):
        cats = pd.factorize(s.astype(str).where(s.notna(), "\x00missing"))[0].astype(int)
        p, proba = _group_oof(cats, t.y, t.fold, t.classify, t.n_classes)
        return _Fit(p, proba, None, cats)
    x = _as_number(s, kind)
    if np.isfinite(x).sum() < 2:
        return None
    y, fold, classify, k, n = t.y, t.fold, t.classify, t.n_classes, t.n
    leaves = max(SHALLOW_LEAVES, k + 2)  # room for one leaf per class
    p, proba = _tree_oof(x, y, fold, classify, leaves, max(5, n // 50), k)
    if (_score(_value(y, p, classify, k), classify, k) >= 0.3
            or (classify and _ll_score(y, proba, t.base_loss) >= 0.3)):
        fine, fine_proba = _tree_oof(x, y, fold, classify, MAX_LEAVES, max(3, n // 200), k)
        # the leak flags judge the majority rule; the score the probabilities
        if _value(y, fine, classify, k) > _value(y, p, classify, k):
            p = fine
        if classify and _ll_score(y, fine_proba, t.base_loss) > _ll_score(y, proba, t.base_loss):
            proba = fine_proba
    if not classify:  # a straight line extrapolates where a tree's steps stop: on skewed
        # columns (school sizes, incomes) the tree's outer leaves miss the largest values,
        # so the better out-of-fold fit of the two counts
        line = _linear_oof(x, y, fold)
        if _r2(y, line) > _r2(y, p):
            p = line
    return _Fit(p, proba, x, np.zeros(1, dtype=int))


def _judge_column(c: str, kind: str, fit: _Fit, t: _Target) -> tuple[dict, np.ndarray]:
    """The column's row of the result (score, value, AUC, leak) and its per-row losses."""
    value = _value(t.y, fit.p, t.classify, t.n_classes)
    judged, where = value, ""  # a leak with gaps: judged on the rows where it has a value
    if fit.x is not None:
        fin = np.isfinite(fit.x)
        if 0.5 <= fin.mean() < 1 and fin.sum() >= MIN_ROWS_FOR_LEAK:
            present = _value(t.y[fin], fit.p[fin], t.classify, t.n_classes)
            if present > judged:
                judged, where = present, f" on the {int(fin.sum()):,} rows where it has a value"
    if t.classify:
        loss = _losses(t.y, fit.proba)
        score = _ll_score(t.y, fit.proba, t.base_loss)
        leak = _class_leak(fit, judged, where) if t.leak_ok else None
    else:
        loss = (t.y - fit.p) ** 2
        score = _score(value, False, 0)
        leak = _number_leak(fit, score, judged, where, t) if t.leak_ok else None
    row = {"column": c, "kind": kind, "score": round(float(score), 4),
           "value": round(float(value), 4), "leak": leak}
    if t.classify and t.n_classes == 2:
        row["auc"] = round(_auc(t.y, fit.proba[:, 1]), 4)
    return row, loss


def _class_leak(fit: _Fit, judged: float, where: str) -> str | None:
    """A column that alone gives the class almost perfectly, or None."""
    if judged < LEAK_BACC:
        return None
    how = ("a threshold (or the sign) of it gives the class" if fit.x is not None
           else "each of its values goes with a single class")
    return (f"predicts the target almost perfectly on its own (balanced accuracy "
            f"{judged:.3f}{where}): {how}. Is it derived from the target?")


def _number_leak(fit: _Fit, score: float, judged: float, where: str,
                 t: _Target) -> str | None:
    """A number target's leak, or None: a banding of the target, a copy, a monotone
    transform, or a column that alone explains almost all of it (the last found wins, as the
    most specific)."""
    leak, x, y, cats = None, fit.x, t.y, fit.cats
    if x is not None and score >= 0.5:  # a number with few values: bands?
        fin = np.isfinite(x)
        cats = pd.factorize(np.where(fin, x, np.inf))[0].astype(int)
    if score >= 0.5 and 2 <= cats.max() + 1 <= 50:
        # the other way round: does the target alone tell the category? A category (or a
        # number with few values) made by cutting the target into bands (price_band, a
        # decile) is told perfectly; an honest one overlaps.
        n_cats = int(cats.max()) + 1
        back = _tree_oof(y, cats, t.fold, True, max(SHALLOW_LEAVES, 2 * n_cats),
                         max(3, t.n // 200))[0]
        b = _balanced_accuracy(cats, back, n_cats)
        if b >= LEAK_BACC:
            what = "values" if x is not None else "categories"
            leak = (f"is a banding of the target: its {n_cats} {what} cover separate "
                    f"ranges of the target (told from the target with balanced accuracy "
                    f"{b:.3f}). Is it derived from the target?")
    if x is not None:
        fin = np.isfinite(x)
        r = _corr(x[fin], y[fin])
        rho = _corr(_ranks(x[fin]), t.y_ranks[fin]) if fin.mean() > 0.9 else 0.0
        if abs(r) >= LEAK_COPY:
            leak = (f"is almost identical to the target (correlation {r:.3f}): a copy of "
                    "the target?")
        elif abs(rho) >= LEAK_RANK:
            leak = (f"rises and falls with the target in lockstep (rank correlation "
                    f"{rho:.3f}): a transform of the target (a log, a rescaling)?")
    if leak is None and judged >= LEAK_R2:
        leak = (f"predicts the target almost perfectly on its own (R² {judged:.3f}"
                f"{where}): a transform of the target?")
    return leak


def _ll_score(y: np.ndarray, proba: np.ndarray, base_loss: np.ndarray) -> float:
    """The log-loss reduction against the class shares alone, below 0 shown as 0."""
    v = 1.0 - float(_losses(y, proba).sum()) / float(base_loss.sum())
    return max(0.0, v) if np.isfinite(v) else 0.0


def _stability(rows: list[dict], losses: list[np.ndarray], y: np.ndarray,
               base_loss: np.ndarray | None, seed: int) -> None:
    """Add each row's rank and the ``LEVEL`` ranges of its score and rank over ``BOOTSTRAP``
    resamples of the rows (the same resamples for every column, so the ranks are compared on
    the same rows). The out-of-fold losses are resampled; the models are not refit."""
    if not rows:
        return
    n = len(y)
    rng = np.random.default_rng(seed + 1)
    draws = rng.integers(0, n, (BOOTSTRAP, n)) + (np.arange(BOOTSTRAP) * n)[:, None]
    w = np.bincount(draws.ravel(), minlength=BOOTSTRAP * n).reshape(BOOTSTRAP, n).astype(float)
    L = np.column_stack(losses)                      # rows × columns
    model = w @ L                                    # resamples × columns
    if base_loss is not None:                        # classes: the log-loss of the shares
        base = w @ base_loss
    else:                                            # numbers: the squares about the mean
        base = w @ (y * y) - (w @ y) ** 2 / n
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.clip(np.nan_to_num(1.0 - model / base[:, None], nan=0.0), 0.0, None)
    lo_q, hi_q = 100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2
    ranks = _rank_desc(scores)
    point = _rank_desc(np.array([[r["score"] for r in rows]]))[0]
    for j, r in enumerate(rows):
        r["rank"] = int(point[j])
        r["score_low"] = round(float(np.percentile(scores[:, j], lo_q)), 4)
        r["score_high"] = round(float(np.percentile(scores[:, j], hi_q)), 4)
        r["rank_low"] = int(np.floor(np.percentile(ranks[:, j], lo_q)))
        r["rank_high"] = int(np.ceil(np.percentile(ranks[:, j], hi_q)))


def _rank_desc(scores: np.ndarray) -> np.ndarray:
    """Per row of ``scores``, each column's rank, 1 = highest; ties share the best rank."""
    r = np.round(scores, 4)
    return 1 + (r[:, None, :] > r[:, :, None]).sum(axis=2)  # how many score higher, plus one


def leak_message(row: dict) -> str:
    """The warning for one flagged column: names it, says why, proposes leaving it out."""
    return (f"'{row['column']}' {row['leak']} If so, leave it out: a model trained with it "
            "looks perfect here and fails on new rows, where it is not known yet.")


def leakage_warnings(result: dict) -> list[dict]:
    """``[{"columns": [name], "message": ...}]`` for every flagged column of a :func:`screen`
    result (the profile's warning format)."""
    return [{"columns": [r["column"]], "message": leak_message(r), "kind": "leakage"}
            for r in result["columns"] if r["leak"]]
