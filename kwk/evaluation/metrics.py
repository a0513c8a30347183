"""Metrics on the held-out test split, always beside a baseline (majority class / mean) and a
simple scikit-learn model (logistic / linear regression) fitted on the same split.

Functions take encoded arrays: ``y`` are class codes (classification) or values in original
units (regression); ``proba`` is an ``(n, n_classes)`` matrix.
"""
from __future__ import annotations

import contextlib
import math
import threading

import numpy as np

from kwk import preload

CLASS_METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "precision_macro", "recall_macro",
                 "log_loss", "roc_auc")
REGRESSION_METRICS = ("rmse", "mae", "r2")
# Which direction is better, for tables and comparisons.
HIGHER_IS_BETTER = {"accuracy": True, "balanced_accuracy": True, "f1_macro": True,
                    "precision_macro": True, "recall_macro": True, "log_loss": False,
                    "roc_auc": True, "rmse": False, "mae": False, "r2": True}


def _f(x):
    x = float(x)
    return x if math.isfinite(x) else None


def classification_metrics(y: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict:
    from sklearn import metrics as skm
    k = len(classes)
    proba = np.clip(np.asarray(proba, dtype=float), 1e-7, 1 - 1e-7)
    proba = proba / proba.sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    labels = list(range(k))
    p, r, f, support = skm.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    out = {"accuracy": _f(skm.accuracy_score(y, pred)),
           "balanced_accuracy": _f(skm.balanced_accuracy_score(y, pred)) if len(set(y)) > 1
           else _f(skm.accuracy_score(y, pred)),
           "f1_macro": _f(np.mean(f)), "precision_macro": _f(np.mean(p)),
           "recall_macro": _f(np.mean(r)),
           "log_loss": _f(skm.log_loss(y, proba, labels=labels)),
           "roc_auc": None}
    present = np.unique(y)
    try:
        if k == 2 and len(present) == 2:
            out["roc_auc"] = _f(skm.roc_auc_score(y, proba[:, 1]))
        elif k > 2 and len(present) == k:
            out["roc_auc"] = _f(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro",
                                                  labels=labels))
    except ValueError:
        pass
    out["per_class"] = {str(c): {"precision": _f(p[i]), "recall": _f(r[i]), "f1": _f(f[i]),
                                 "support": int(support[i])} for i, c in enumerate(classes)}
    out["confusion_matrix"] = skm.confusion_matrix(y, pred, labels=labels).tolist()
    return out


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    from sklearn import metrics as skm
    y, pred = np.asarray(y, float), np.asarray(pred, float).reshape(-1)
    return {"rmse": _f(np.sqrt(skm.mean_squared_error(y, pred))),
            "mae": _f(skm.mean_absolute_error(y, pred)),
            "r2": _f(skm.r2_score(y, pred)) if len(y) > 1 else None}


def model_proba(model, X: np.ndarray, task: str) -> np.ndarray:
    """Class probabilities ``(n, k)`` (or raw predictions for regression) from a Keras model.
    The model is called directly, 4,096 rows at a time: ``model.predict`` traces a graph for
    every new model (each fold, seed, tuning trial, loaded run), again for new input shapes,
    and one step per batch of a call when the model runs several steps per call."""
    from kwk.prep.preprocess import model_input
    parts = [np.asarray(model(model_input(X[i:i + 4096]), training=False), dtype=float)
             for i in range(0, len(X), 4096)] if callable(model) else []
    out = np.concatenate(parts) if parts else \
        np.asarray(model.predict(model_input(X), verbose=0), dtype=float)  # (or a stand-in's)
    if task == "binary":
        p1 = out.reshape(-1)
        return np.column_stack([1 - p1, p1])
    if task == "multiclass":
        return out
    return out.reshape(-1)


def metrics_for(task: str, y: np.ndarray, out: np.ndarray, classes: list[str]) -> dict:
    return regression_metrics(y, out) if task == "regression" else \
        classification_metrics(y, out, classes)


def baseline_output(task: str, y_train: np.ndarray, n: int, k: int) -> np.ndarray:
    if task == "regression":
        return np.full(n, float(np.mean(y_train)))
    freq = np.bincount(y_train.astype(int), minlength=k).astype(float)
    freq /= freq.sum()
    # The majority class gets all the probability mass for accuracy; its frequency-based
    # probabilities give an honest log-loss.
    return np.tile(freq, (n, 1))


def _constant_model(task: str, y_train, k: int):
    if task == "regression":
        mean = float(np.mean(y_train))
        return (lambda X: np.full(len(X), mean)), "mean of training target"
    return (lambda X: baseline_output(task, y_train, len(X), k)), "majority class"


class TableText:
    """The comparison models' view of a mixed model's rows: the table's encoded columns
    (``table``, a float matrix; pixels included for a model that reads pictures too) and the
    raw texts of its text column (``texts``), which they read as TF-IDF word weights instead
    of the network's word numbers. ``column`` names the text column."""

    def __init__(self, table: np.ndarray, texts: np.ndarray, column: str):
        self.table = np.asarray(table, dtype=float)
        self.texts = np.asarray(texts, dtype=object)
        self.column = column

    def __len__(self) -> int:
        return len(self.table)

    def take(self, idx) -> "TableText":
        return TableText(self.table[idx], self.texts[idx], self.column)


SIMPLE_TFIDF_WORDS = 20_000     # the linear model's TF-IDF vocabulary (sparse: cheap)
REFERENCE_TFIDF_WORDS = 300     # gradient boosting reads numbers densely: fewer words


def _tfidf(max_features: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    # every word counts, one-letter ones too (the default pattern drops them)
    return TfidfVectorizer(max_features=max_features, token_pattern=r"(?u)\b\w+\b")


def _table_and_tfidf(X_train: TableText, max_features: int, dense: bool):
    """A function mapping :class:`TableText` rows to the table's columns beside the TF-IDF
    word weights of their texts, the vectorizer fitted on ``X_train``'s texts only; None when
    the training texts hold no word (then only the table is read)."""
    import scipy.sparse as sp
    vec = _tfidf(max_features)
    try:
        vec.fit(X_train.texts)
    except ValueError:  # no word at all
        return None

    def features(X: TableText):
        words = vec.transform(X.texts)
        if dense:
            return np.hstack([X.table, words.toarray()])
        return sp.hstack([sp.csr_matrix(X.table), words], format="csr")
    return features


def reference_inputs(prep) -> tuple[dict, str | None]:
    """What the comparison models read per split: the encoded rows as they are, except for a
    model with a text branch, whose word numbers mean nothing to a linear model or to
    gradient boosting: the table's columns with the raw texts (:class:`TableText`), or, where
    the raw rows are not at hand (a streamed file), the table's columns alone. Returns
    ``({split: X}, note)``, the note saying the references did not see the text (else None)."""
    X = prep.X
    inputs = prep.pre.inputs or {}
    text = (inputs.get("text") or [None])[0]
    if not text or not isinstance(X.get("train"), np.ndarray) or X["train"].dtype == object:
        return dict(X), None
    words = prep.pre.input_groups()[text]
    keep = np.setdiff1d(np.arange(X["train"].shape[1]), words)
    source = getattr(prep, "source", None)
    if source is None or not getattr(prep, "rows", None):
        return ({k: v[:, keep] for k, v in X.items()},
                f"did not see the text '{text}' (its raw texts were not at hand)")
    from kwk.prep.preprocess import text_values
    return ({k: TableText(v[:, keep], text_values(source[text].iloc[prep.rows[k]])[:, 0], text)
             for k, v in X.items()}, None)


def fit_simple_model(task: str, X_train, y_train, k: int, seed: int = 0):
    """Logistic regression (classification) or linear regression on the same inputs; for
    texts, on their TF-IDF word weights; for a table with a text (:class:`TableText`), on the
    table's columns beside its text's TF-IDF word weights (fitted on the training texts only,
    at most :data:`SIMPLE_TFIDF_WORDS` words). Returns ``(predict(X) -> output, name)``."""
    import warnings

    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    if isinstance(X_train, TableText):
        return _fit_simple_mixed(task, X_train, y_train, k, seed)
    text = isinstance(X_train, np.ndarray) and X_train.dtype == object
    prep = []
    if text:
        from sklearn.feature_extraction.text import TfidfVectorizer
        # every word counts, one-letter ones too (the default pattern drops them)
        prep = [TfidfVectorizer(max_features=20_000, token_pattern=r"(?u)\b\w+\b")]
        X_train = X_train[:, 0]
    suffix = " on TF-IDF" if text else ""

    def cols(X):
        return X[:, 0] if text else X

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task != "regression" and len(np.unique(y_train)) < 2:
            return _constant_model(task, y_train, k)
        est = (Ridge() if text else LinearRegression()) if task == "regression" else \
            LogisticRegression(max_iter=1000, random_state=seed)
        try:
            m = make_pipeline(*prep, est).fit(X_train, y_train)
        except ValueError:
            if not text:
                raise
            return _constant_model(task, y_train, k)  # the texts hold no word at all
        if task == "regression":
            return (lambda X: m.predict(cols(X))), ("ridge regression" if text else
                                                    "linear regression") + suffix
        known = m.classes_.astype(int)

        def predict(X):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                proba = np.zeros((len(X), k))
                proba[:, known] = m.predict_proba(cols(X))
                return proba
        return predict, "logistic regression" + suffix


def _fit_simple_mixed(task: str, X_train: TableText, y_train, k: int, seed: int):
    """:func:`fit_simple_model` on a table with a text: linear on the table + TF-IDF."""
    import warnings

    from sklearn.linear_model import LogisticRegression, Ridge
    features = _table_and_tfidf(X_train, SIMPLE_TFIDF_WORDS, dense=False)
    if features is None:
        features = (lambda X: X.table)
        suffix = " (its texts hold no word)"
    else:
        suffix = f" on table + TF-IDF({X_train.column})"
    if task != "regression" and len(np.unique(y_train)) < 2:
        return _constant_model(task, y_train, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = Ridge() if task == "regression" else LogisticRegression(max_iter=1000,
                                                                      random_state=seed)
        m = est.fit(features(X_train), y_train)
    if task == "regression":
        return (lambda X: m.predict(features(X))), "ridge regression" + suffix
    known = m.classes_.astype(int)

    def predict(X):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proba = np.zeros((len(X), k))
            proba[:, known] = m.predict_proba(features(X))
            return proba
    return predict, "logistic regression" + suffix


REFERENCE_ROWS = 20_000  # gradient boosting learns from at most this many training rows


def fit_reference_model(task: str, X_train, y_train, k: int, seed: int = 0):
    """Gradient boosting (scikit-learn's HistGradientBoostingClassifier/Regressor) on the same
    inputs: the strong reference a network should come close to on tables. Fitted on at most
    :data:`REFERENCE_ROWS` training rows (a seeded sample). Returns ``(predict(X) -> output,
    name)``, or None for texts (gradient boosting reads numbers)."""
    import warnings

    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    if isinstance(X_train, np.ndarray) and X_train.dtype == object:
        return None
    mixed = isinstance(X_train, TableText)
    y_train = np.asarray(y_train)
    X_train = X_train if mixed else np.asarray(X_train)
    name = "gradient boosting"
    if len(X_train) > REFERENCE_ROWS:
        pick = np.random.default_rng(seed).choice(len(X_train), REFERENCE_ROWS, replace=False)
        X_train = X_train.take(pick) if mixed else X_train[pick]
        y_train = y_train[pick]
        name += f" (fitted on {REFERENCE_ROWS:,} training rows)"
    features = (lambda X: X)
    if mixed:  # the table beside the TF-IDF weights of the text's commonest words
        words = _table_and_tfidf(X_train, REFERENCE_TFIDF_WORDS, dense=True)
        features = words or (lambda X: X.table)
        name += f" on table + TF-IDF({X_train.column})" if words else " (its texts hold no word)"
    if task != "regression" and len(np.unique(y_train)) < 2:
        return _constant_model(task, y_train, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = (HistGradientBoostingRegressor if task == "regression" else
               HistGradientBoostingClassifier)(max_iter=200, early_stopping=len(X_train) >= 200,
                                               random_state=seed)
        m = est.fit(features(X_train), y_train)
    if task == "regression":
        return (lambda X: m.predict(features(X))), name
    known = m.classes_.astype(int)

    def predict(X):
        proba = np.zeros((len(X), k))
        proba[:, known] = m.predict_proba(features(X))
        return proba
    return predict, name


def simple_model_output(task: str, X_train, y_train, X_test, k: int, seed: int = 0):
    """The simple model's output on ``X_test`` and its name (see :func:`fit_simple_model`)."""
    predict, name = fit_simple_model(task, X_train, y_train, k, seed)
    return predict(X_test), name


SIMPLE_ROWS = 50_000  # the simple model learns from at most this many training rows
_OPENMP_LOCK = threading.Lock()


def preload_comparison_models() -> None:
    """Import scikit-learn's linear models, gradient boosting and TF-IDF in a background
    thread, once per process, so that the import (about 1.5 s on 2 cores, more than fitting
    both models on a big table) overlaps the network's epochs instead of following them."""
    def work():  # a failure is left to the fit after the epochs, which imports them again
        import sklearn.ensemble  # noqa: F401
        import sklearn.feature_extraction.text  # noqa: F401
        import sklearn.linear_model  # noqa: F401
        import sklearn.pipeline  # noqa: F401
    preload.start(work, "kwk-preload-comparisons", once="comparison-models")


@contextlib.contextmanager
def one_openmp_thread(blas: bool = False):
    """Run scikit-learn's OpenMP code (gradient boosting) on one thread, one job at a time.
    Its threads spin-wait at every barrier: beside TensorFlow or other users' training (a
    shared server, 2 cores) two threads took 10-40 s for what one does in under a second, with
    the same result (bench/RESULTS.md). The lock keeps two jobs from restoring each other's
    limit in the wrong order. ``blas=True`` limits BLAS (the logistic regression) too: its
    OpenBLAS threads spin the same way (a 3-class fit on 50,000 rows: 3.8-14 s on two threads
    on a busy machine, 0.35 s on one; probabilities within 1e-5)."""
    from threadpoolctl import threadpool_limits
    with _OPENMP_LOCK, threadpool_limits(limits=1, user_api="openmp"), \
            threadpool_limits(limits=1 if blas else None, user_api="blas"):
        yield


def _sample_rows(X, y, limit: int, seed: int):
    """At most ``limit`` rows of ``(X, y)`` (a seeded sample, in their order) and whether it
    is a sample. Inputs that are not one array (several model inputs) are kept whole."""
    if not isinstance(X, (np.ndarray, TableText)) or len(X) <= limit:
        return X, y, False
    pick = np.sort(np.random.default_rng(seed).choice(len(X), limit, replace=False))
    return (X.take(pick) if isinstance(X, TableText) else X[pick]), np.asarray(y)[pick], True


def comparison_outputs(prep) -> dict:
    """The comparison models' test outputs, which need no network: ``{"simple": (output,
    name), "reference": (output, name) or None}`` (the simple model fitted on at most
    :data:`SIMPLE_ROWS` training rows, the reference on at most :data:`REFERENCE_ROWS`). The
    training feeders start this in a background thread during the epochs."""
    task, k = prep.task, max(len(prep.pre.classes), 1)
    naive = getattr(prep, "extra", {}).get("naive")
    change = task == "regression" and prep.pre.forecasts_change
    shift = np.asarray(naive["test"], float) if change else 0.0
    # a series forecasting the change: the models learn the change; forecasts add it back
    y_fit = prep.pre.decode_regression(prep.y["train"]) if task == "regression" \
        else prep.y["train"]
    seed = prep.spec["training"]["seed"]
    ref_X, unseen = reference_inputs(prep)  # a text branch's texts, not its word numbers
    X_tr, X_te = ref_X["train"], ref_X["test"]
    X_s, y_s, sampled = _sample_rows(X_tr, y_fit, SIMPLE_ROWS, seed)
    with one_openmp_thread(blas=True):
        simple, simple_name = simple_model_output(task, X_s, y_s, X_te, k, seed)
    if sampled:
        simple_name += f" (fitted on {SIMPLE_ROWS:,} training rows)"
    if unseen:
        simple_name += f" ({unseen})"
    if change:
        simple, simple_name = simple + shift, simple_name + " of the change"
    with one_openmp_thread():
        ref = fit_reference_model(task, X_tr, y_fit, k, seed)
        reference = None if ref is None else ref[0](X_te) + shift
    if ref is not None:
        ref = (reference, ref[1] + (" of the change" if change else "")
               + (f" ({unseen})" if unseen else ""))
    return {"simple": (simple, simple_name), "reference": ref}


def evaluate_prepared(model, prep, phase=None, comparisons=None) -> tuple[dict, dict]:
    """Test-split metrics for the network, the baseline, the simple model and the reference.

    Returns ``(metrics, details)``: ``metrics`` is what ``metrics.json`` holds; ``details`` has
    the arrays the charts need (``y``, ``out``, ``baseline_out``, ``simple_out``). ``phase``,
    when given, receives what runs: "Scoring the test rows", then "Fitting the comparison
    models" (:func:`comparison_outputs`; ``comparisons``, when given, returns them when
    called: a fit started during the epochs).
    """
    phase = phase or (lambda text: None)
    phase("Scoring the test rows")
    task, classes = prep.task, prep.pre.classes
    k = max(len(classes), 1)
    X_te = prep.X["test"]
    y_tr_enc, y_te_enc = prep.y["train"], prep.y["test"]
    naive = getattr(prep, "extra", {}).get("naive")
    # Series forecasting the change: the network (and the simple model) predict the change
    # from the window's last value; forecasts are that value plus the change.
    change = task == "regression" and prep.pre.forecasts_change
    shift = {s: np.asarray(naive[s], float) for s in ("train", "test")} if change else \
        {"train": 0.0, "test": 0.0}
    if task == "regression":
        y_tr = prep.pre.decode_regression(y_tr_enc) + shift["train"]
        y_te = prep.pre.decode_regression(y_te_enc) + shift["test"]
        out = prep.pre.decode_regression(model_proba(model, X_te, task)) + shift["test"]
    else:
        y_tr, y_te = y_tr_enc, y_te_enc
        out = model_proba(model, X_te, task)
    base = np.asarray(naive["test"], dtype=float) if naive is not None else \
        baseline_output(task, y_tr, len(y_te), k)
    phase("Fitting the comparison models")
    compared = comparisons() if comparisons is not None else comparison_outputs(prep)
    simple, simple_name = compared["simple"]
    metrics = {"task": task, "n_test": int(len(y_te)),
               "test": metrics_for(task, y_te, out, classes),
               "baseline": metrics_for(task, y_te, base, classes),
               "simple_model": {"name": simple_name, **metrics_for(task, y_te, simple, classes)}}
    metrics["baseline"]["name"] = "naive forecast (last value)" if naive is not None \
        else "mean of training target" if task == "regression" else "majority class"
    if getattr(prep, "twins", None):  # test rows repeating training rows (kwk.prep.twins)
        metrics["twins"] = dict(prep.twins)
    details = {"y": y_te, "out": out, "baseline_out": base, "simple_out": simple,
               "classes": classes}
    if compared["reference"] is not None:
        reference, name = compared["reference"]
        metrics["reference"] = {"name": name, **metrics_for(task, y_te, reference, classes)}
        details["reference_out"] = reference
    return metrics, details


def headline(metrics: dict) -> tuple[str, float | None]:
    """The one metric to show first: balanced accuracy (classification) or R² (regression)."""
    key = "r2" if metrics["task"] == "regression" else "balanced_accuracy"
    return key, metrics["test"].get(key)


class _Scalars:
    """The per-row parts of the scalar test metrics, computed once, so that the metrics of a
    bootstrap resample (``counts[j]``: how often row ``j`` was drawn) cost a few weighted
    ``bincount`` calls instead of re-indexing, re-sorting and scikit-learn calls per resample.
    ROC AUC is the Mann-Whitney statistic (ties count one half), which is what scikit-learn's
    trapezoidal ROC area equals."""

    def __init__(self, task: str, y: np.ndarray, out: np.ndarray, k: int):
        self.task, self.k, self.n = task, k, len(y)
        if task == "regression":
            self.y = np.asarray(y, float)
            self.err = self.y - np.asarray(out, float).reshape(-1)
            return
        y = np.asarray(y).astype(int)
        proba = np.clip(np.asarray(out, dtype=float), 1e-7, 1 - 1e-7)
        proba = proba / proba.sum(axis=1, keepdims=True)
        self.cell = y * k + proba.argmax(axis=1)
        self.nll = -np.log(proba[np.arange(len(y)), y])
        self.auc_parts = []  # per class scored: (tie group of each row, positive?, groups)
        for c in ([1] if k == 2 else range(k) if k > 2 else []):
            _, group = np.unique(proba[:, c], return_inverse=True)
            self.auc_parts.append((group.reshape(-1), y == c, int(group.max()) + 1))

    def of(self, counts: np.ndarray | None = None) -> dict:
        """The metrics of the rows drawn ``counts`` times each (all rows once when None)."""
        c = np.ones(self.n) if counts is None else np.asarray(counts, float)
        total = c.sum()
        if self.task == "regression":
            mean = (c * self.y).sum() / total
            ss_tot = float((c * (self.y - mean) ** 2).sum())
            sse = float((c * self.err ** 2).sum())
            return {"rmse": _f(np.sqrt(sse / total)),
                    "mae": _f((c * np.abs(self.err)).sum() / total),
                    "r2": (_f(1 - sse / ss_tot) if ss_tot > 0 else
                           (1.0 if not self.err[c > 0].any() else 0.0)) if total > 1 else None}
        k = self.k
        cm = np.bincount(self.cell, weights=c, minlength=k * k).reshape(k, k)
        tp, true_n, pred_n = np.diag(cm), cm.sum(axis=1), cm.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = np.where(true_n > 0, tp / true_n, 0.0)
            precision = np.where(pred_n > 0, tp / pred_n, 0.0)
            f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall),
                          0.0)
        present = true_n > 0
        out_m = {"accuracy": _f(tp.sum() / total),
                 "balanced_accuracy": _f(recall[present].mean()) if present.sum() > 1
                 else _f(tp.sum() / total),
                 "f1_macro": _f(f1.mean()), "precision_macro": _f(precision.mean()),
                 "recall_macro": _f(recall.mean()),
                 "log_loss": _f((c * self.nll).sum() / total), "roc_auc": None}
        if (k == 2 and present.sum() == 2) or (k > 2 and present.sum() == k):
            out_m["roc_auc"] = _f(np.mean([self._auc(c, *part) for part in self.auc_parts]))
        return out_m

    @staticmethod
    def _auc(c: np.ndarray, group: np.ndarray, pos: np.ndarray, groups: int) -> float:
        w_pos = np.bincount(group, weights=np.where(pos, c, 0.0), minlength=groups)
        w_neg = np.bincount(group, weights=np.where(pos, 0.0, c), minlength=groups)
        below = np.cumsum(w_neg) - w_neg  # negatives scored lower than each tie group
        return float((w_pos * (below + 0.5 * w_neg)).sum() / (w_pos.sum() * w_neg.sum()))


def scalar_metrics(task: str, y: np.ndarray, out: np.ndarray, k: int) -> dict:
    """The scalar test metrics of :func:`metrics_for`, computed with NumPy from a confusion
    matrix and per-row parts (many times faster): for tuning trials and the resamples of a
    bootstrap. ``k`` is the number of classes (ignored for regression). Equal to
    :func:`metrics_for`'s values (tested)."""
    return _Scalars(task, y, out, k).of()


def _resample_counts(rng: np.random.Generator, n: int) -> np.ndarray:
    """How often each of ``n`` rows is drawn in one bootstrap resample (n draws with
    replacement): the same resample as indexing with ``rng.integers(0, n, n)``."""
    return np.bincount(rng.integers(0, n, n), minlength=n).astype(float)


def paired_bootstrap(task: str, y: np.ndarray, out: np.ndarray, other: np.ndarray, k: int,
                     n_boot: int = 500, level: float = 0.95, seed: int = 0) -> dict:
    """Is the network really better or worse than another model on the same test rows?

    Resamples the test rows (the same rows for both models) and returns, per metric,
    ``{"difference": network - other, "low": ..., "high": ..., "verdict": ...}`` where the
    interval is the percentile interval of the difference and ``verdict`` is ``"better"`` or
    ``"worse"`` (for the network) only when the interval excludes zero, else ``"about the
    same"``."""
    y, out, other = np.asarray(y), np.asarray(out), np.asarray(other)
    n = len(y)
    parts_a, parts_b = _Scalars(task, y, out, k), _Scalars(task, y, other, k)
    point_a, point_b = parts_a.of(), parts_b.of()
    if n < 5:
        return {}
    rng = np.random.default_rng(seed)
    diffs: dict[str, list] = {}
    for _ in range(n_boot):
        counts = _resample_counts(rng, n)
        a, b = parts_a.of(counts), parts_b.of(counts)
        for m, v in a.items():
            if v is not None and b.get(m) is not None:
                diffs.setdefault(m, []).append(v - b[m])
    q = (1 - level) / 2
    result = {}
    for m, d in diffs.items():
        if len(d) < n_boot // 2 or point_a.get(m) is None or point_b.get(m) is None:
            continue
        lo, hi = float(np.quantile(d, q)), float(np.quantile(d, 1 - q))
        verdict = "about the same"
        if lo > 0 or hi < 0:
            up = lo > 0
            verdict = "better" if up == HIGHER_IS_BETTER[m] else "worse"
        result[m] = {"difference": point_a[m] - point_b[m], "low": lo, "high": hi,
                     "verdict": verdict}
    return result


PAIRED_RESAMPLES = 300  # resamples of a paired comparison shown on a page (Evaluate, Tune)
REFERENCE_PARTS = ("baseline", "simple", "reference")  # in the order the metrics table shows
                                                      # them: the baseline, the simple model,
                                                      # gradient boosting


def compare_with_references(task: str, ev: dict, n_classes: int, seed: int,
                            progress=None, stop=None) -> dict | None:
    """The network against each reference model of a run (its ``evaluation.npz``: ``y``,
    ``out`` and each ``<part>_out`` it holds) on the same test rows: ``{part:
    paired_bootstrap(...)}`` with :data:`PAIRED_RESAMPLES` resamples and the run's seed.
    ``progress(done, total)`` is called before each part; a set ``stop`` returns None."""
    parts = [p for p in REFERENCE_PARTS if f"{p}_out" in ev]
    out = {}
    for i, part in enumerate(parts):
        if progress is not None:
            progress(i, len(parts))
        if stop is not None and stop.is_set():
            return None
        out[part] = paired_bootstrap(task, ev["y"], ev["out"], ev[f"{part}_out"],
                                     max(n_classes, 1), n_boot=PAIRED_RESAMPLES, seed=seed)
    return out


def bootstrap_ci(task: str, y: np.ndarray, out: np.ndarray, classes: list[str],
                 n_boot: int | None = None, level: float = 0.95, seed: int = 0) -> dict:
    """Percentile bootstrap confidence intervals of the test metrics: ``{metric: [lo, hi]}``.
    Resamples test rows with replacement (500 times, 200 for large test sets)."""
    import warnings
    y, out = np.asarray(y), np.asarray(out)
    n = len(y)
    if n < 5:
        return {}
    n_boot = n_boot or (500 if n <= 5000 else 200)
    rng = np.random.default_rng(seed)
    draws: dict[str, list] = {}
    parts = _Scalars(task, y, out, len(classes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n_boot):
            m = parts.of(_resample_counts(rng, n))
            for k, v in m.items():
                if isinstance(v, float):
                    draws.setdefault(k, []).append(v)
    a = (1 - level) / 2
    return {k: [float(np.quantile(v, a)), float(np.quantile(v, 1 - a))]
            for k, v in draws.items() if len(v) >= n_boot // 2}
