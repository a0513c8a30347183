"""Why a model predicts what it does, in the user's own columns.

* **Tables** — Shapley contributions per *original* column (``ShelveLoc``, ``Price``), not per
  one-hot input: :func:`shapley` runs ``shap``'s permutation explainer on the raw-row prediction
  function (``Bundle.predict_output``), masking whole columns with the values of a background sample of
  training rows. Each column is coded as an integer (an index into the distinct raw values seen)
  so mixed dtypes travel through ``shap`` and are decoded back into raw rows before the model
  sees them. The permutation explainer is exactly additive: ``base + sum(contributions)`` is the
  model's output for the row (``base`` is the mean prediction over the background rows).
* **Pictures** — :func:`saliency_maps`: integrated gradients of the class probability with
  respect to each pixel, one heat-map per picture.
* **Texts** — :func:`word_effects`: occlusion; how much the prediction moves when one word is
  left out.

Pure Python (no Streamlit). ``shap`` and TensorFlow are imported inside the functions.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from kwk import preload
from kwk.errors import DataError, KwkError

BACKGROUND_ROWS = 50        # training rows a masked column takes its values from
PERMUTATIONS = 10           # forward+backward passes over the columns per explained row
MAX_MODEL_ROWS = 40_000     # cap on the rows the model scores per explained row (time)
GLOBAL_ROWS = 100           # test rows in the global view


#: What shap's modules take from numba: its compilers ``njit``/``jit`` and ``typed.List``
#: (tests/test_explain.py reads shap's source to keep this list true).
NUMBA_NAMES = ("njit", "jit", "typed")
_SHAP_IMPORT = threading.Lock()


def _as_python(*args, **kwargs):
    """numba's ``njit``/``jit`` with the compiler off: the function itself (as numba does
    with ``DISABLE_JIT``), used bare (``@njit``) or with options (``@njit(cache=True)``)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda fn: fn


def _numba_stand_in() -> dict:
    """Modules that give shap what it takes from numba, compiled as plain Python."""
    import types
    numba, typed = types.ModuleType("numba"), types.ModuleType("numba.typed")
    numba.njit = numba.jit = _as_python
    typed.List = list
    numba.typed = typed
    numba.config = types.SimpleNamespace(DISABLE_JIT=True)
    return {"numba": numba, "numba.typed": typed}


def _shap():
    """``shap``, with numba's compiler switched off for its helpers: compiling them takes
    10-15 s on a small machine, and as plain Python they cost milliseconds per row here.

    When nothing has loaded numba yet, shap is imported against a stand-in that gives it
    :data:`NUMBA_NAMES` as plain Python, and numba itself is not loaded: its LLVM library
    alone is about 40 MB of the app's memory, and numba another 13, for a compiler that is off
    (``bench/bench_memory_walk.py``). The stand-in leaves ``sys.modules`` once shap is in, so
    a library imported later gets the real numba and compiles as usual. If shap needs more
    of numba than the stand-in has, it is imported again with the real one."""
    import sys
    with _SHAP_IMPORT:
        if "shap" in sys.modules:
            return sys.modules["shap"]
        if "numba" not in sys.modules:
            stand_in = _numba_stand_in()
            sys.modules.update(stand_in)
            try:
                import shap
                return shap
            except (ImportError, AttributeError):  # a shap that needs more of numba
                for name in [n for n in sys.modules if n == "shap" or n.startswith("shap.")]:
                    del sys.modules[name]
            finally:
                for name, module in stand_in.items():
                    if sys.modules.get(name) is module:
                        del sys.modules[name]
        import numba
        old = numba.config.DISABLE_JIT
        numba.config.DISABLE_JIT = True
        try:
            import shap
        finally:
            numba.config.DISABLE_JIT = old
        return shap


# --------------------------------------------------------------------------- coding columns
class _ColumnCoder:
    """Each column's distinct raw values (missing included) -> integer codes and back, so rows
    of mixed dtypes can be masked as a float matrix and decoded into raw rows again.
    ``codes[i]`` is the code matrix of ``frames[i]``."""

    def __init__(self, frames: list[pd.DataFrame], columns: list[str]):
        self.columns = list(columns)
        self.values = {}
        sizes = np.cumsum([len(f) for f in frames])[:-1]
        all_codes = np.empty((sum(len(f) for f in frames), len(self.columns)), dtype=float)
        for j, c in enumerate(self.columns):
            both = pd.concat([f[c] for f in frames], ignore_index=True)
            codes, uniques = pd.factorize(both, use_na_sentinel=False)  # NaN: a value too
            all_codes[:, j] = codes
            self.values[c] = uniques
        self.codes = np.split(all_codes, sizes)

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        codes = np.asarray(codes).astype(int)
        return pd.DataFrame({c: self.values[c].take(codes[:, j])
                             for j, c in enumerate(self.columns)})


def _permutations(n_columns: int, n_background: int, permutations: int,
                  max_model_rows: int) -> int:
    """Permutations for one row, capped so at most ``max_model_rows`` rows are scored."""
    per = (2 * n_columns + 1) * n_background
    return int(max(1, min(permutations, max_model_rows // max(per, 1))))


# --------------------------------------------------------------------------- tables
@dataclass
class Explanation:
    """Shapley contributions of the original columns for some rows.

    ``values``: ``(n, columns)`` (regression, in the target's units) or ``(n, columns, k)``
    (class probabilities); ``base``: ``(n,)`` or ``(n, k)``, the mean prediction over the
    background rows; ``prediction``: the model's output for each row, ``(n,)`` or ``(n, k)``;
    ``rows``: the raw values explained. ``base + values.sum(axis=1) == prediction``."""
    columns: list[str]
    values: np.ndarray
    base: np.ndarray
    prediction: np.ndarray
    rows: pd.DataFrame
    classes: list[str] | None = None
    predicted: list | None = None
    background_rows: int = 0
    permutations: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.values)

    def additivity_gap(self) -> float:
        """The largest |base + sum of contributions - prediction| over rows (and classes)."""
        if not self.n:
            return 0.0
        return float(np.max(np.abs(self.base + self.values.sum(axis=1) - self.prediction)))

    def output(self, cls: str | int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(values (n, columns), base (n,), prediction (n,))`` of one output: the number
        (regression) or the probability of class ``cls`` (a name or an index)."""
        if self.classes is None:
            return self.values, self.base, self.prediction
        k = self.classes.index(str(cls)) if isinstance(cls, str) else int(cls or 0)
        return self.values[:, :, k], self.base[:, k], self.prediction[:, k]

    def row(self, i: int) -> dict:
        """One row in the CLI's contract: ``base``, ``contributions`` ({column: value}) and
        ``prediction``; per class (``{class: ...}``) with ``predicted`` for classification."""
        if self.classes is None:
            return {"base": float(self.base[i]),
                    "contributions": {c: float(v) for c, v in zip(self.columns, self.values[i])},
                    "prediction": float(self.prediction[i])}
        return {"base": {k: float(self.base[i, j]) for j, k in enumerate(self.classes)},
                "contributions": {k: {c: float(v) for c, v in zip(self.columns,
                                                                  self.values[i, :, j])}
                                  for j, k in enumerate(self.classes)},
                "prediction": {k: float(self.prediction[i, j])
                               for j, k in enumerate(self.classes)},
                "predicted": str(self.predicted[i])}

    def to_json(self) -> dict:
        return {"rows": [self.row(i) for i in range(self.n)],
                "columns": self.columns, "classes": self.classes,
                "method": "shap permutation explainer over the original columns",
                "background_rows": self.background_rows, "permutations": self.permutations,
                "seconds": round(self.seconds, 3), "notes": self.notes}


def shapley(predict: Callable[[pd.DataFrame], np.ndarray], rows: pd.DataFrame,
            background: pd.DataFrame, columns: list[str], *, classes: list[str] | None = None,
            permutations: int = PERMUTATIONS, max_model_rows: int = MAX_MODEL_ROWS,
            seed: int = 0, progress: Callable[[int, int], None] | None = None,
            stop: threading.Event | None = None) -> Explanation:
    """Shapley contributions of ``columns`` to ``predict(rows)``.

    ``predict`` maps raw rows (the original column names) to ``(n, k)`` probabilities
    (``classes`` named) or ``(n,)`` numbers. A column is "absent" when it takes the values of
    the ``background`` rows, so ``base`` is the mean prediction over them. Each row costs at most
    ``max_model_rows`` model rows (fewer permutations for wide tables). ``progress(done, total)``
    is called a few times per row; a set ``stop`` ends early with the rows done so far."""
    shap = _shap()
    t0 = time.perf_counter()
    if not len(background):
        raise DataError("No background rows to compare with.",
                        "Give the data the model was trained on.")
    columns = list(columns)
    rows = rows[columns].reset_index(drop=True)
    background = background[columns].reset_index(drop=True)
    coder = _ColumnCoder([background, rows], columns)
    bg, x = coder.codes

    def f(codes):
        return np.asarray(predict(coder.decode(codes)), dtype=float)

    n_perm = _permutations(len(columns), len(bg), permutations, max_model_rows)
    explainer = shap.explainers.Permutation(f, shap.maskers.Independent(bg, max_samples=len(bg)),
                                            seed=seed)
    # A row's permutations run in a few calls (each one exactly additive), so progress moves
    # within a row too; their mean is the estimate of all the permutations together.
    chunks = [len(c) for c in np.array_split(np.arange(n_perm), min(n_perm, 5))]
    values, base = [], []
    for i in range(len(x)):
        if stop is not None and stop.is_set():
            break
        v = b = 0.0
        for j, k in enumerate(chunks):
            e = explainer(x[i:i + 1], max_evals=k * (2 * len(columns) + 1), silent=True)
            v = v + k * np.asarray(e.values[0], dtype=float)
            b = b + k * np.asarray(e.base_values[0], dtype=float)
            if progress is not None:
                progress(i * len(chunks) + j + 1, len(x) * len(chunks))
        values.append(v / n_perm)
        base.append(b / n_perm)
    done = len(values)
    pred = f(x[:done]) if done else np.zeros((0, len(classes)) if classes else 0)
    vals = np.array(values) if done else np.zeros((0, len(columns)) + pred.shape[1:])
    return Explanation(columns=columns, values=vals, base=np.array(base).reshape(pred.shape),
                       prediction=pred, rows=rows.iloc[:done], classes=classes,
                       background_rows=len(bg), permutations=n_perm,
                       seconds=time.perf_counter() - t0)


def sample_rows(df: pd.DataFrame, n: int, seed: int = 0, exclude=None) -> pd.DataFrame:
    """Up to ``n`` rows of ``df`` picked at random (reproducibly), leaving out the positions in
    ``exclude`` (e.g. the test rows, so the background comes from the training side)."""
    pos = np.arange(len(df))
    if exclude is not None and len(exclude):
        keep = np.setdiff1d(pos, np.asarray(exclude, dtype=int))
        pos = keep if len(keep) else pos
    if len(pos) > n:
        pos = np.sort(np.random.default_rng(seed).choice(pos, n, replace=False))
    return df.iloc[pos]


def check_explainable(bundle) -> None:
    """Column contributions are for tables; pictures, texts and series get a message."""
    pre = bundle.pre
    if pre.sequence:
        raise KwkError("Column contributions are not available for a time-series forecast: it "
                       "reads a whole window of rows, not one row's columns.",
                       "Use the permutation importance on the Evaluate page instead.")
    if pre.inputs:
        raise KwkError("Column contributions of a model with several inputs (a table with a "
                       "text or pictures) are computed per row by kwk.evaluation.mixed.",
                       "The Predict page explains a predicted row by its columns and words; "
                       "the Evaluate page's Importance tab ranks its inputs and columns.")
    if pre.text:
        raise KwkError("Column contributions are not available for a text model (it reads one "
                       "text column).", "The Predict page highlights the words of a predicted "
                       "row that pushed its prediction.")
    if bundle.spec.get("data", {}).get("image_shape"):
        raise KwkError("Column contributions are not available for a picture model (every "
                       "pixel is a column).", "The Evaluate page shows a heat-map of the pixels "
                       "that pushed each prediction.")


def explain_bundle(bundle, rows: pd.DataFrame, background: pd.DataFrame, *,
                   permutations: int = PERMUTATIONS, max_model_rows: int = MAX_MODEL_ROWS,
                   seed: int = 0, progress=None, stop=None) -> Explanation:
    """:func:`shapley` of a trained model (:class:`kwk.runs.bundle.Bundle`) on raw ``rows``:
    regression in the target's units, classification per class probability, with the class
    each row is predicted (a binary run at its decision threshold)."""
    check_explainable(bundle)
    pre = bundle.pre
    pre.check_columns(rows)
    pre.check_columns(background)
    classes = None if pre.task == "regression" else [str(c) for c in pre.classes]
    e = shapley(bundle.predict_output, rows, background, pre.features, classes=classes,
                permutations=permutations, max_model_rows=max_model_rows, seed=seed,
                progress=progress, stop=stop)
    if classes is not None:
        p = e.prediction
        picked = (p[:, 1] >= bundle.threshold).astype(int) if len(classes) == 2 \
            else p.argmax(axis=1)
        e.predicted = [classes[i] for i in picked]
    return e


def background_for(df: pd.DataFrame, test_rows=None, n: int = BACKGROUND_ROWS,
                   seed: int = 0) -> pd.DataFrame:
    """The background sample: ``n`` rows of ``df`` outside the test split (``test_rows``)."""
    return sample_rows(df, n, seed=seed, exclude=test_rows)


def run_background(run_dir, df: pd.DataFrame, fingerprint: str | None, n: int = BACKGROUND_ROWS,
                   seed: int = 0) -> tuple[pd.DataFrame, str]:
    """The background of a run folder's explanations and a sentence saying what it is: its
    training side (rows outside the test split) when ``df`` is the data the run was trained on
    (same fingerprint), else a sample of ``df`` itself."""
    import json
    from pathlib import Path
    d = Path(run_dir)
    trained_on, test_rows = None, None
    try:
        trained_on = json.loads((d / "run.json").read_text())["data"]["fingerprint"]
        with np.load(d / "evaluation.npz", allow_pickle=False) as z:
            test_rows = z["test_rows"] if "test_rows" in z.files else None
    except (OSError, KeyError, ValueError):
        pass
    if fingerprint and trained_on == fingerprint:
        if test_rows is not None and (len(test_rows) == 0 or int(np.max(test_rows)) < len(df)):
            bg = background_for(df, test_rows, n, seed)
            return bg, (f"The average prediction is over {len(bg)} training rows (outside the "
                        "test split).")
        bg = sample_rows(df, n, seed=seed)
        return bg, f"The average prediction is over {len(bg)} rows of the training data."
    bg = sample_rows(df, n, seed=seed)
    return bg, (f"The average prediction is over {len(bg)} rows of the data given (not the "
                "data this run was trained on).")


def _num(v: float, digits: int = 3) -> str:
    return f"{v:.{digits}g}"


def _value(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "(missing)"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    text = str(v)
    return text if len(text) <= 30 else text[:29] + "…"


def steps(e: Explanation, i: int, cls: str | int | None = None, top: int = 10) -> dict:
    """Row ``i``'s explanation as the steps of a waterfall: ``base``, then ``steps`` — the
    ``top`` columns by size as ``(label "column = value", contribution)`` (the rest summed into
    one "N other columns" step) — and ``prediction`` (of one class's probability for a
    classifier: ``cls``, default the predicted class)."""
    if e.classes is not None and cls is None:
        cls = e.predicted[i] if e.predicted else 0
    values, base, pred = e.output(cls)
    v = values[i]
    order = np.argsort(-np.abs(v), kind="stable")
    shown = order[:top]
    out = [(f"{e.columns[j]} = {_value(e.rows.iloc[i][e.columns[j]])}", float(v[j]))
           for j in shown]
    if len(order) > top:
        out.append((f"{len(order) - top} other columns", float(v[order[top:]].sum())))
    return {"base": float(base[i]), "steps": out, "prediction": float(pred[i]),
            "class": None if e.classes is None else (cls if isinstance(cls, str)
                                                     else e.classes[int(cls)])}


def describe(w: dict, unit: str = "") -> str:
    """One sentence over :func:`steps`: "Starts at the average prediction 7.5; Price = 150
    −1.9; ShelveLoc = Good +2.3; … → 8.1"."""
    parts = [f"{label} {'+' if c >= 0 else '−'}{_num(abs(c))}" for label, c in w["steps"]]
    what = f"the average probability of '{w['class']}'" if w.get("class") is not None \
        else "the average prediction"
    return (f"Starts at {what} {_num(w['base'])}{unit}; " + "; ".join(parts)
            + f" → {_num(w['prediction'])}{unit}.")


# --------------------------------------------------------------------------- global view
def global_importance(e: Explanation, cls: str | int | None = None) -> pd.DataFrame:
    """Mean |contribution| per column over the explained rows (of one class's probability, or
    summed over classes when ``cls`` is None for a classifier); sorted, largest first."""
    if e.classes is not None and cls is None:
        mean_abs = np.abs(e.values).mean(axis=0).sum(axis=1) if e.n else np.zeros(len(e.columns))
    else:
        v = e.output(cls)[0]
        mean_abs = np.abs(v).mean(axis=0) if e.n else np.zeros(len(e.columns))
    return (pd.DataFrame({"feature": e.columns, "mean_abs": mean_abs})
            .sort_values("mean_abs", ascending=False, ignore_index=True))


def value_shades(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per column, each row's value as a shade in [0, 1] (its rank among the rows; NaN for
    labels and missing values), for colouring a beeswarm: low values blue, high values red."""
    from kwk.data.numbers import to_number
    out = {}
    for c in rows.columns:
        v = to_number(rows[c]) if not isinstance(rows[c].dtype, pd.CategoricalDtype) else None
        if v is None or v.notna().sum() < max(2, 0.8 * rows[c].notna().sum()):
            out[c] = np.full(len(rows), np.nan)
        else:
            r = v.rank(pct=True).to_numpy(dtype=float)
            out[c] = r
    return out


def global_summary(e: Explanation, cls: str | int | None = None, top: int = 12) -> dict:
    """What the global view draws, as JSON: the mean |contribution| per column (``importance``)
    and, for the ``top`` columns, each row's contribution and value shade (``beeswarm``). A
    two-class model is shown on its second class's probability; with more classes the bars sum
    over every class and the beeswarm shows class ``cls`` (default the first)."""
    k = None
    if e.classes is not None:
        k = e.classes.index(cls) if isinstance(cls, str) else \
            int(cls) if cls is not None else (1 if len(e.classes) == 2 else 0)
    imp = global_importance(e, k if e.classes is not None and len(e.classes) == 2 else None)
    v = e.values if k is None else e.values[:, :, k]
    shades = value_shades(e.rows)
    swarm = []
    for f in imp["feature"][:top]:
        j = e.columns.index(f)
        swarm.append({"feature": f, "contribution": v[:, j].tolist(),
                      "shade": [None if np.isnan(s) else float(s) for s in shades[f]],
                      "value": [_value(x) for x in e.rows[f]]})
    return {"importance": imp.to_dict("records"), "beeswarm": swarm, "rows": e.n,
            "class": None if k is None else e.classes[k], "classes": e.classes,
            "bars_class": None if k is None or len(e.classes) > 2 else e.classes[k],
            "background_rows": e.background_rows, "permutations": e.permutations}


GLOBAL_FILE = "explain_global.json"


def save_global(run_dir, summary: dict) -> None:
    """Keep a run's global view (:func:`global_summary`) in its folder, for the HTML report."""
    import json
    import os
    from pathlib import Path
    p = Path(run_dir) / GLOBAL_FILE
    tmp = p.with_suffix(".json.tmp")
    try:
        tmp.write_text(json.dumps(summary, ensure_ascii=False))
        os.replace(tmp, p)
    except OSError as e:
        raise KwkError(f"The column contributions could not be saved with the run: "
                       f"{e.strerror or e}.", "Check the workspace folder's free space.")


def load_global(run_dir) -> dict | None:
    """A run's saved global view, or None."""
    import json
    from pathlib import Path
    p = Path(run_dir) / GLOBAL_FILE
    try:
        return json.loads(p.read_text()) if p.exists() else None
    except (OSError, ValueError):
        return None


def contribution_axis(task: str, target: str, cls: str | None = None) -> str:
    """What a contribution measures, in words."""
    if task == "regression":
        return f"contribution to the predicted {target} ({target}'s units)"
    return f"contribution to the probability of '{cls}'" if cls is not None else \
        "contribution to the class probabilities (summed over classes)"


def bars_axis(task: str, target: str, summary: dict) -> str:
    """The axis of the mean |contribution| bars of a :func:`global_summary`."""
    if task == "regression":
        return f"mean |contribution| ({target}'s units)"
    if summary.get("bars_class") is not None:
        return f"mean |contribution| to P({summary['bars_class']})"
    return "mean |contribution|, summed over the classes' probabilities"


# --------------------------------------------------------------------------- pictures
def saliency_maps(bundle, rows: pd.DataFrame, classes: list[int] | None = None,
                  reference: pd.DataFrame | None = None, steps: int = 16
                  ) -> tuple[np.ndarray, list]:
    """A heat-map per picture of the pixels that pushed the prediction: integrated gradients
    (the gradient of the class probability, averaged along the straight path from a reference
    picture to the picture, times the pixel's difference from the reference), in absolute
    value, max over colour channels, scaled to [0, 1] per picture. The reference is the mean of
    the ``reference`` rows (e.g. training pictures), else a flat grey at the pictures' mean.
    ``classes``: the class index per row (default: the predicted class). Returns
    ``(maps (n, height, width), class indices)``."""
    import tensorflow as tf
    shape = bundle.spec.get("data", {}).get("image_shape")
    if not shape:
        raise KwkError("Heat-maps are for picture models.")
    X = np.asarray(bundle.pre.transform(rows), dtype="float32")
    if not len(X):
        return np.zeros((0, shape[0], shape[1])), []
    if classes is None:
        classes = [int(i) for i in np.asarray(bundle.predict_output(rows)).argmax(axis=1)]
    idx = np.asarray(classes, dtype=int)
    base = (np.asarray(bundle.pre.transform(reference), dtype="float32").mean(axis=0)
            if reference is not None and len(reference) else np.full(X.shape[1], X.mean()))
    base = base.astype("float32")[None, :]
    binary = bundle.pre.task == "binary"
    grads = np.zeros_like(X)
    for a in (np.arange(steps) + 0.5) / steps:  # midpoint rule along the path
        xt = tf.convert_to_tensor(base + a * (X - base))
        with tf.GradientTape() as tape:
            tape.watch(xt)
            p = bundle.model(xt, training=False)
            if binary:
                p1 = tf.reshape(p, (-1,))
                chosen = tf.where(tf.constant(idx == 1), p1, 1.0 - p1)
            else:
                chosen = tf.gather(p, tf.constant(idx), axis=1, batch_dims=1)
        grads += tape.gradient(chosen, xt).numpy()
    h, w, c = shape
    maps = np.abs(grads / steps * (X - base)).reshape(len(X), h, w, c).max(axis=3)
    peak = maps.reshape(len(X), -1).max(axis=1)
    return maps / np.where(peak > 0, peak, 1.0)[:, None, None], classes


def overlay(picture: np.ndarray, heat: np.ndarray, strength: float = 0.8) -> np.ndarray:
    """A picture (``(h, w)`` grey or ``(h, w, 3)``, 0-255) with a heat-map (``(h, w)`` in
    [0, 1]) laid over it in red: an ``(h, w, 3)`` uint8 image."""
    img = np.clip(np.asarray(picture, dtype=float), 0, 255)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    grey = img.mean(axis=2) if img.ndim == 3 else img
    base = np.repeat(grey[..., None], 3, axis=2) * 0.75
    a = np.clip(np.asarray(heat, dtype=float), 0, 1)[..., None] * strength
    red = np.array([255.0, 40.0, 0.0])
    return (base * (1 - a) + red * a).astype(np.uint8)


# --------------------------------------------------------------------------- texts
def word_effects(bundle, text: str, cls: int | None = None,
                 max_words: int = 200) -> tuple[list[tuple[str, float]], int, float]:
    """Occlusion: each word's effect on the prediction (the probability of class ``cls``,
    default the predicted one, or the number for regression) = the prediction with the whole
    text minus the prediction with that word left out; positive pushed it up. Returns
    ``(words with effects, class index or -1, the prediction)``; beyond ``max_words`` words
    the rest get no effect (0)."""
    col = bundle.pre.features[0]
    words = str("" if text is None or (isinstance(text, float) and np.isnan(text))
                else text).split()
    n = min(len(words), max_words)
    variants = [" ".join(words)] + [" ".join(words[:i] + words[i + 1:]) for i in range(n)]
    out = np.asarray(bundle.output(pd.DataFrame({col: variants})), dtype=float)
    if out.ndim == 1:
        k, scores = -1, out
    else:
        k = int(out[0].argmax()) if cls is None else int(cls)
        scores = out[:, k]
    effects = [float(scores[0] - scores[i + 1]) for i in range(n)] + [0.0] * (len(words) - n)
    return list(zip(words, effects)), k, float(scores[0])


# --------------------------------------------------------------------------- background work
class Task:
    """A function run in a background thread with progress, so a page can poll it without
    blocking (the thread never touches the UI). ``fn(progress, stop)`` gets a callback
    ``progress(done, total)`` and a ``threading.Event`` to honour."""

    def __init__(self, fn: Callable, label: str = ""):
        self.fn, self.label = fn, label
        self.done_n, self.total = 0, 0
        self.result = None
        self.error: BaseException | None = None
        self.started = time.time()
        self.seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"kwk-explain-{label}")

    def start(self) -> "Task":
        self._thread.start()
        return self

    def _progress(self, done: int, total: int) -> None:
        self.done_n, self.total = done, total

    def _run(self) -> None:
        try:
            preload.wait()  # never import beside a preload (kwk.preload)
            self.result = self.fn(self._progress, self._stop)
        except Exception as e:  # reported to the page, which shows it
            self.error = e
        finally:
            self.seconds = time.time() - self.started

    @property
    def done(self) -> bool:
        return not self._thread.is_alive() and self._thread.ident is not None

    @property
    def fraction(self) -> float:
        return 1.0 if self.done else (self.done_n / self.total if self.total else 0.0)

    def stop(self) -> None:
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return self.done
