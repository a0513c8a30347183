"""The Playground engine: the TensorFlow Neural Network Playground's datasets, input features and
live training of a small Keras network on a 2-D plane, plus the decision surface and each
neuron's output over the plane. No Streamlit here; the page is ``pages/8_playground.py``.

The network is an ordinary KwK spec (Dense layers from the catalog, built by
``kwk.model.builder``), so "Open in Build" hands exactly this network to the full flow.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import NamedTuple

import numpy as np
import pandas as pd

from kwk.errors import DataError, SpecError

DOMAIN = 6.0  # the input plane is [-6, 6] x [-6, 6], as in the TensorFlow Playground
CLASS_DATASETS = {"circle": "Circle", "xor": "Exclusive or", "gauss": "Two gaussians",
                  "spiral": "Spiral"}
REG_DATASETS = {"plane": "Plane", "multigauss": "Multi-gaussian"}
DATASETS = {**CLASS_DATASETS, **REG_DATASETS}
FEATURES = {"x1": "X₁", "x2": "X₂", "x1_sq": "X₁²", "x2_sq": "X₂²", "x1_x2": "X₁X₂",
            "sin_x1": "sin(X₁)", "sin_x2": "sin(X₂)"}
MAX_LAYERS = 10
MAX_NEURONS = 256
MAX_POINTS = 5000
MAX_EPOCHS = 100_000


# ----------------------------------------------------------------------------- datasets
def make_dataset(name: str, n: int = 500, noise: float = 0.0, seed: int = 0):
    """``(xy, y)``: ``n`` points in the plane and their labels — 0/1 for the classification
    sets, a number in [-1, 1] for the regression sets. ``noise`` is 0–0.5 (the Playground's
    0–50 %). The recipes follow the TensorFlow Playground's ``dataset.ts``."""
    rng = np.random.default_rng(seed)
    if name == "circle":
        r = np.concatenate([rng.uniform(0, 2.5, n // 2), rng.uniform(3.5, 5, n - n // 2)])
        a = rng.uniform(0, 2 * np.pi, n)
        xy = np.c_[r * np.sin(a), r * np.cos(a)]
        shifted = xy + rng.uniform(-5, 5, (n, 2)) * noise
        y = (np.hypot(shifted[:, 0], shifted[:, 1]) < 2.5).astype(float)
    elif name == "xor":
        xy = rng.uniform(-5, 5, (n, 2))
        xy += np.where(xy > 0, 0.3, -0.3)  # a gap around the axes
        shifted = xy + rng.uniform(-5, 5, (n, 2)) * noise
        y = (shifted[:, 0] * shifted[:, 1] >= 0).astype(float)
    elif name == "gauss":
        var = 0.5 + noise / 0.5 * 3.5
        half = n // 2
        xy = np.r_[rng.normal(2, math.sqrt(var), (half, 2)), rng.normal(-2, math.sqrt(var), (n - half, 2))]
        y = np.r_[np.ones(half), np.zeros(n - half)]
    elif name == "spiral":
        half = n // 2
        pts, lab = [], []
        for cls, delta in ((1.0, 0.0), (0.0, np.pi)):
            i = np.arange(half if cls else n - half)
            r = i / max(len(i), 1) * 5
            t = 1.75 * i / max(len(i), 1) * 2 * np.pi + delta
            pts.append(np.c_[r * np.sin(t), r * np.cos(t)] + rng.uniform(-1, 1, (len(i), 2)) * noise)
            lab.append(np.full(len(i), cls))
        xy, y = np.concatenate(pts), np.concatenate(lab)
    elif name == "plane":
        xy = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
        shifted = xy + rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
        y = np.clip((shifted[:, 0] + shifted[:, 1]) / 10, -1, 1)
    elif name == "multigauss":
        xy = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
        shifted = xy + rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
        y = multigauss_label(shifted)
    else:
        raise SpecError(f"Unknown playground dataset '{name}'.",
                        f"Choose one of: {', '.join(DATASETS)}.")
    order = rng.permutation(n)
    return xy[order].astype(np.float64), y[order].astype(np.float64)


_GAUSSIANS = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]


def multigauss_label(xy: np.ndarray) -> np.ndarray:
    """Six gaussian bumps of alternating sign; the strongest one at each point wins."""
    best = np.zeros(len(xy))
    for cx, cy, sign in _GAUSSIANS:
        d = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy)
        v = sign * np.clip(1 - d / 2.0, 0, 1)
        best = np.where(np.abs(v) > np.abs(best), v, best)
    return best


def split(n: int, train_ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the training and test points (seeded)."""
    idx = np.random.default_rng(seed + 1).permutation(n)
    k = min(n - 1, max(1, int(round(n * train_ratio))))
    return np.sort(idx[:k]), np.sort(idx[k:])


def feature_matrix(xy: np.ndarray, features: list[str]) -> np.ndarray:
    """The selected input features for points of the plane, in ``features`` order."""
    x1, x2 = xy[:, 0], xy[:, 1]
    table = {"x1": lambda: x1, "x2": lambda: x2, "x1_sq": lambda: x1 ** 2,
             "x2_sq": lambda: x2 ** 2, "x1_x2": lambda: x1 * x2,
             "sin_x1": lambda: np.sin(x1), "sin_x2": lambda: np.sin(x2)}
    unknown = [f for f in features if f not in table]
    if unknown:
        raise SpecError(f"Unknown input feature(s): {', '.join(unknown)}.",
                        f"Choose from: {', '.join(FEATURES)}.")
    if not features:
        raise SpecError("No input feature is selected.", "Switch on at least one feature, e.g. X₁.")
    return np.stack([table[f]() for f in features], axis=1).astype(np.float32)


def grid(resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """The axis values and all points of a ``resolution``² grid over the plane."""
    axis = np.linspace(-DOMAIN, DOMAIN, resolution)
    gx, gy = np.meshgrid(axis, axis)
    return axis, np.c_[gx.ravel(), gy.ravel()]


def to_plane(x: np.ndarray) -> np.ndarray:
    """Scale a column of the user's data into the plane's [-5, 5] (min -> -5, max -> 5)."""
    x = np.asarray(x, dtype=float)
    lo, hi = np.nanmin(x), np.nanmax(x)
    if not np.isfinite(lo) or hi == lo:
        return np.zeros_like(x)
    return (x - lo) / (hi - lo) * 10 - 5


class Axis(NamedTuple):
    """How one column of the user's data was scaled into the plane (``engine.to_plane``): its
    smallest value went to -5 and its largest to +5."""
    name: str
    lo: float
    hi: float

    def scale(self) -> tuple[float, float]:
        """``(a, c)`` with place on the plane = a · value + c (a constant column sat at 0)."""
        if not self.hi > self.lo:
            return 1.0, -self.lo
        a = 10 / (self.hi - self.lo)
        return a, -self.lo * a - 5

    def to_plane(self, v):
        """A value in the column's units -> its place on the plane."""
        a, c = self.scale()
        return a * np.asarray(v, float) + c

    def from_plane(self, p):
        """A place on the plane -> the value in the column's units."""
        a, c = self.scale()
        return (np.asarray(p, float) - c) / a


def suggest_inputs(df: pd.DataFrame, target: str | None, kinds: dict[str, str]) -> list[str]:
    """The numeric columns worth drawing as X₁ and X₂, most useful first: the numeric inputs
    (not identifiers, not the target), ranked by how strongly each separates the target
    (scikit-learn's univariate F test: ANOVA for classes, correlation for a number). Without
    a usable target they keep the data's order."""
    from kwk.prep.preprocess import as_labels, to_number
    cols = [str(c) for c in df.columns
            if str(c) != target and kinds.get(str(c)) == "numeric"]
    if target is None or target not in df.columns or len(cols) <= 2:
        return cols
    from sklearn.feature_selection import f_classif, f_regression
    X = pd.DataFrame({c: to_number(df[c]) for c in cols})
    y_num = to_number(df[target])
    labels = as_labels(df[target])
    numeric_target = kinds.get(target) == "numeric" and labels.nunique() > 10
    y = y_num if numeric_target else labels
    keep = y.notna().to_numpy()
    if keep.sum() < 5:
        return cols
    X, y = X[keep], y[keep]
    X = X.fillna(X.median()).fillna(0.0)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f, _ = (f_regression(X, y.to_numpy(float)) if numeric_target
                    else f_classif(X, y.astype(str).to_numpy()))
    score = np.nan_to_num(np.asarray(f, float), nan=-1.0)
    return [cols[i] for i in np.argsort(-score, kind="stable")]


class UserData(tuple):
    """The user's data on the plane: the tuple ``(xy, y, problem, classes)``, plus ``axes``:
    the two columns' names and how each was scaled into the plane (:class:`Axis`), so the
    pictures can be labelled, and a neuron's line given, in the columns' own units."""

    axes: tuple

    def __new__(cls, xy, y, problem, classes, axes):
        self = super().__new__(cls, (xy, y, problem, classes))
        self.axes = axes
        return self


def user_dataset(df: pd.DataFrame, x1: str, x2: str, target: str) -> UserData:
    """``(xy, y, problem, classes)`` (a :class:`UserData`, with ``axes``) from two numeric
    columns and a target of the user's data: a two-class target gives classification (the
    first class sorted is 0), a numeric one regression scaled into [-1, 1]."""
    from kwk.prep.preprocess import as_labels, to_number
    for c in (x1, x2, target):
        if c not in df.columns:
            raise DataError(f"The column '{c}' is not in the data.")
    if len({x1, x2, target}) < 3:
        raise DataError("Choose three different columns: X₁, X₂ and the target.")
    a, b = to_number(df[x1]), to_number(df[x2])
    labels = as_labels(df[target])
    keep = a.notna() & b.notna() & labels.notna()
    if keep.sum() < 10:
        raise DataError(f"Fewer than 10 rows have numbers in '{x1}' and '{x2}' and a target.",
                        "Choose numeric columns with few missing values.")
    keep_idx = np.flatnonzero(keep.to_numpy())
    if len(keep_idx) > MAX_POINTS:
        keep_idx = np.sort(np.random.default_rng(0).choice(keep_idx, MAX_POINTS, replace=False))
    va = np.asarray(a.to_numpy()[keep_idx], float)
    vb = np.asarray(b.to_numpy()[keep_idx], float)
    xy = np.c_[to_plane(va), to_plane(vb)]
    axes = (Axis(str(x1), float(va.min()), float(va.max())),
            Axis(str(x2), float(vb.min()), float(vb.max())))
    classes = sorted(labels.iloc[keep_idx].unique().tolist())
    if len(classes) == 2:
        y = (labels.iloc[keep_idx].to_numpy() == classes[1]).astype(float)
        return UserData(xy, y, "classification", classes, axes)
    num = to_number(df[target]).to_numpy()[keep_idx]
    if len(classes) > 2 and np.isfinite(num).all() and len(classes) > 10:
        lo, hi = num.min(), num.max()
        return UserData(xy, (num - lo) / (hi - lo) * 2 - 1, "regression",
                        [float(lo), float(hi)], axes)
    raise DataError(f"The target '{target}' has {len(classes)} values; the Playground shows two "
                    "classes or a number.",
                    "Choose a two-class or numeric target, or use the Build page for more classes.")


# ----------------------------------------------------------------------------- settings
@dataclass
class Config:
    """Every Playground setting; ``to_query``/``from_query`` put it in the URL."""
    dataset: str = "circle"
    noise: int = 0            # percent, 0-50
    train_ratio: int = 50     # percent, 10-90
    batch_size: int = 10
    points: int = 500
    features: list = field(default_factory=lambda: ["x1", "x2"])
    layers: list = field(default_factory=lambda: [4, 2])
    activation: str = "tanh"
    learning_rate: float = 0.03
    regularization: str = "none"  # none | L1 | L2
    reg_rate: float = 0.0
    problem: str = "classification"
    optimizer: str = "sgd"
    dropout: float = 0.0
    seed: int = 0
    show_test: bool = False
    discretize: bool = False
    show_weights: bool = True  # the links coloured and sized by their weights (view only)

    def check(self) -> None:
        """Raise SpecError naming every setting out of range."""
        from kwk.catalog.layers import ACTIVATIONS
        from kwk.spec import OPTIMIZERS
        p = []
        if self.dataset not in DATASETS and self.dataset != "user":
            p.append(f"dataset '{self.dataset}' is not one of {', '.join(DATASETS)}")
        if not 0 <= self.noise <= 50:
            p.append(f"noise is {self.noise} but must be 0–50")
        if not 10 <= self.train_ratio <= 90:
            p.append(f"training ratio is {self.train_ratio}% but must be 10–90%")
        if not 1 <= self.batch_size <= 1000:
            p.append(f"batch size is {self.batch_size} but must be 1–1000")
        if not 20 <= self.points <= MAX_POINTS:
            p.append(f"{self.points} points: choose 20–{MAX_POINTS:,}")
        if len(self.layers) > MAX_LAYERS:
            p.append(f"{len(self.layers)} hidden layers: the limit is {MAX_LAYERS}")
        if any(not 1 <= int(n) <= MAX_NEURONS for n in self.layers):
            p.append(f"neurons per layer must be 1–{MAX_NEURONS}")
        if self.activation not in ACTIVATIONS or self.activation in ("softmax", "log_softmax",
                                                                     "glu", "sparsemax"):
            p.append(f"activation '{self.activation}' cannot be used in hidden neurons here")
        if not 0 < self.learning_rate <= 10:
            p.append(f"learning rate is {self.learning_rate} but must be > 0 and ≤ 10")
        if self.regularization not in ("none", "L1", "L2"):
            p.append(f"regularization '{self.regularization}' must be none, L1 or L2")
        if not 0 <= self.reg_rate <= 10:
            p.append(f"regularization rate is {self.reg_rate} but must be 0–10")
        if self.problem not in ("classification", "regression"):
            p.append(f"problem type '{self.problem}' must be classification or regression")
        if self.optimizer not in OPTIMIZERS:
            p.append(f"optimizer '{self.optimizer}' is not one of {', '.join(OPTIMIZERS)}")
        if not 0 <= self.dropout < 1:
            p.append(f"dropout is {self.dropout} but must be at least 0 and below 1")
        bad_f = [f for f in self.features if f not in FEATURES]
        if bad_f:
            p.append(f"unknown feature(s) {', '.join(bad_f)}")
        if p:
            raise SpecError("Playground settings: " + "; ".join(p) + ".",
                            f"Up to {MAX_LAYERS} hidden layers of up to {MAX_NEURONS} neurons.")

    def to_query(self) -> dict[str, str]:
        """Only the settings that differ from the defaults, as URL query strings."""
        base, out = Config(), {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v != getattr(base, f.name):
                out[f.name] = (",".join(map(str, v)) if isinstance(v, list) else
                               ("1" if v else "0") if isinstance(v, bool) else str(v))
        return out

    @classmethod
    def from_query(cls, q: dict) -> tuple["Config", list[str]]:
        """A Config from URL query strings; unreadable values keep their default and are
        reported (a shared link with a typo still opens)."""
        c, problems = cls(), []
        for f in fields(cls):
            if f.name not in q:
                continue
            raw = str(q[f.name])
            cur = getattr(c, f.name)
            try:
                if isinstance(cur, bool):
                    v = raw.lower() in ("1", "true", "yes", "on")
                elif isinstance(cur, list):
                    items = [s for s in raw.split(",") if s.strip()]
                    v = [int(s) for s in items] if f.name == "layers" else [s.strip() for s in items]
                elif isinstance(cur, int):
                    v = int(float(raw))
                elif isinstance(cur, float):
                    v = float(raw)
                else:
                    v = raw
                setattr(c, f.name, v)
            except ValueError:
                problems.append(f"'{f.name}={raw[:30]}' could not be read")
        if c.dataset not in DATASETS and c.dataset != "user":
            if "dataset" in q:
                problems.append(f"'dataset={str(q['dataset'])[:30]}' is not a playground dataset")
            c.dataset = "circle"
        try:
            c.check()
        except SpecError as e:
            problems.append(e.message)
            c = cls(dataset=c.dataset if c.dataset in DATASETS or c.dataset == "user"
                    else "circle")
            if c.dataset in REG_DATASETS:
                c.problem = "regression"
        return c, problems

    def to_spec(self) -> dict:
        """This network as a KwK spec (target 'label', features the selected inputs)."""
        from kwk.spec import normalize
        layers = []
        for n in self.layers:
            layer = {"type": "Dense", "units": int(n), "activation": self.activation}
            if self.regularization != "none" and self.reg_rate > 0:
                key = self.regularization.lower()
                layer["kernel_regularizer"] = {"type": self.regularization, key: float(self.reg_rate)}
            layers.append(layer)
            if self.dropout > 0:
                layers.append({"type": "Dropout", "rate": float(self.dropout)})
        test = min(0.5, max(0.1, 1 - self.train_ratio / 100))
        return normalize({
            "kwk_spec": 1, "name": f"Playground: {DATASETS.get(self.dataset, 'your data')}",
            "data": {"target": "label", "features": list(self.features),
                     "task": "binary" if self.problem == "classification" else "regression",
                     "kinds": {f: "numeric" for f in self.features}},
            "layers": layers,
            "training": {"optimizer": self.optimizer, "learning_rate": float(self.learning_rate),
                         "batch_size": int(self.batch_size), "epochs": 200, "seed": int(self.seed),
                         "early_stopping_patience": 0, "test_fraction": test,
                         "validation_fraction": min(0.2, 1 - test - 0.3)}})

    def as_dict(self) -> dict:
        return asdict(self)


def build_frame(xy: np.ndarray, y: np.ndarray, features: list[str], problem: str,
                classes: list | None = None) -> pd.DataFrame:
    """The Playground's data as a table for the full flow: the selected features and 'label'."""
    df = pd.DataFrame(feature_matrix(xy, features).astype(float), columns=features)
    if problem == "classification":
        names = [str(c) for c in classes] if classes else ["orange", "blue"]
        df["label"] = np.where(y > 0.5, names[1], names[0])
    else:
        df["label"] = y
    return df


# ----------------------------------------------------------------------------- training
class Playground:
    """One live network: data, a Keras model, and a background thread that trains it epoch
    after epoch while playing. ``snapshot()`` gives what the page draws."""

    SURFACE_RES = 50
    THUMB_RES = 20

    def __init__(self, config: Config, data=None):
        config.check()
        self.config = config
        if data is None:
            xy, y = make_dataset(config.dataset, config.points, config.noise / 100, config.seed)
            self.classes = None
        else:
            xy, y, self.classes = data[0], data[1], data[3]
        self.axes = getattr(data, "axes", None)  # the user's columns (names and scaling)
        self.xy, self.y = xy, y
        self.train_idx, self.test_idx = split(len(xy), config.train_ratio / 100, config.seed)
        self.X = feature_matrix(xy, config.features)
        self.spec = config.to_spec()
        self._lock = threading.Lock()
        self._play = threading.Event()
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None
        self.epoch = 0
        self.history: dict[str, list] = {"train": [], "test": []}
        self.error: str | None = None
        self.last_seen = time.monotonic()
        self.epoch_seconds = 0.0
        self._fast = None  # the compiled epoch (None: not made yet; False: not usable)
        self._eager_next = False  # the next epoch batch by batch (builds the optimizer)
        self._predict_fn = None
        self._build()
        self._snap = self._compute_snapshot()

    # -- model
    def _build(self) -> None:
        import keras

        from kwk.model.builder import build_model, compile_model
        n_train = len(self.train_idx)
        self.model = build_model(self.spec, self.X.shape[1], 2)
        rng = np.random.default_rng(self.config.seed)
        for w in self.model.weights:  # seeded Glorot init, independent of Keras's global seed
            shape = tuple(w.shape)
            if len(shape) == 2:
                lim = math.sqrt(6 / (shape[0] + shape[1]))
                w.assign(rng.uniform(-lim, lim, shape).astype(np.float32))
            elif "bias" in w.path:
                w.assign(np.zeros(shape, np.float32))
        compile_model(self.model, self.spec, max(1, math.ceil(n_train / self.config.batch_size)))
        dense = [layer for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]
        self._probe = keras.Model(self.model.input, [layer.output for layer in dense])
        self._dense = dense
        _, self._surface_pts = grid(self.SURFACE_RES)
        _, self._thumb_pts = grid(self.THUMB_RES)
        self._surface_X = feature_matrix(self._surface_pts, self.config.features)
        self._thumb_X = feature_matrix(self._thumb_pts, self.config.features)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        if self._predict_fn is None:  # compiled once: each epoch scores the train and test points
            import tensorflow as tf
            model = self.model
            self._predict_fn = tf.function(lambda x: model(x, training=False),
                                           reduce_retracing=True)
        return np.asarray(self._predict_fn(np.asarray(X, np.float32))).reshape(-1)

    def _loss(self, idx: np.ndarray) -> float:
        p = self._predict(self.X[idx]).astype(np.float64)
        y = self.y[idx]
        if self.config.problem == "classification":
            p = np.clip(p, 1e-7, 1 - 1e-7)
            return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        return float(np.mean((p - y) ** 2))

    def _compiled_epoch(self):
        """All of an epoch's batches in one compiled call: Keras's own ``train_step`` on each
        batch in order, as ``train_on_batch`` does one at a time (the same updates, tested),
        without a Python round trip per batch of ten points (about 20 times faster). Made after
        the first epoch, once ``train_on_batch`` has built the optimizer and the metrics."""
        import tensorflow as tf
        model, bs = self.model, self.config.batch_size

        @tf.function(reduce_retracing=True)
        def run(X, y):
            for s in tf.range(0, tf.shape(X)[0], bs):
                model.train_step((X[s:s + bs], y[s:s + bs]))
        return run

    def train_epoch(self) -> None:
        """One pass over the training points in seeded random order, batch by batch."""
        t0 = time.perf_counter()
        rng = np.random.default_rng(self.config.seed * 100_003 + self.epoch)
        order = self.train_idx[rng.permutation(len(self.train_idx))]
        bs = self.config.batch_size
        y = self.y.astype(np.float32)
        done = False
        if self.epoch > 0 and self._fast is not False and not self._eager_next:
            try:
                if self._fast is None:
                    self._fast = self._compiled_epoch()
                self._fast(self.X[order].astype(np.float32), y[order])
                done = True
            except Exception:  # tracing failed (before any update): batch by batch from now on
                self._fast = False
        if not done:
            for s in range(0, len(order), bs):
                b = order[s:s + bs]
                self.model.train_on_batch(self.X[b], y[b])
            self._eager_next = False
        tr, te = self._loss(self.train_idx), self._loss(self.test_idx)
        with self._lock:
            self.epoch += 1
            self.history["train"].append(tr)
            self.history["test"].append(te)
        self.epoch_seconds = time.perf_counter() - t0
        if not (math.isfinite(tr) and math.isfinite(te)):
            self.error = ("The loss became NaN or infinite: the learning rate is too high for "
                          "this network. Lower it and press reset.")
            self._play.clear()

    # -- what was learnt, kept with a session (a reload builds the network again)
    def learnt(self) -> dict:
        """What the network has learnt, as JSON values: its weights (each layer's kernel and
        bias as nested lists), the epoch and the loss history. Take it while paused."""
        with self._lock:
            epoch, hist = self.epoch, {k: [float(x) for x in v] for k, v in self.history.items()}
        return {"epoch": epoch, "history": hist,
                "weights": [np.asarray(w).tolist() for w in self.model.get_weights()]}

    def put_back(self, learnt: dict) -> bool:
        """Give this network (same settings, same data) what :meth:`learnt` returned: it
        goes on from that epoch (the optimizer's own state starts again). False, and nothing
        changed, when the weights do not fit this network."""
        try:
            weights = [np.asarray(w, np.float32) for w in learnt["weights"]]
            epoch = int(learnt["epoch"])
            hist = {k: [float(x) for x in learnt["history"][k]] for k in ("train", "test")}
        except (KeyError, TypeError, ValueError):
            return False
        if [w.shape for w in weights] != [tuple(w.shape) for w in self.model.weights]:
            return False
        self.model.set_weights(weights)
        self._eager_next = True  # the compiled epoch needs the optimizer built first
        with self._lock:
            self.epoch, self.history = epoch, hist
        snap = self._compute_snapshot()
        with self._lock:
            self._snap = snap
        return True

    # -- what the page draws
    def _compute_snapshot(self) -> dict:
        surface = self._predict(self._surface_X).reshape(self.SURFACE_RES, self.SURFACE_RES)
        outs = self._probe(self._thumb_X, training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        neurons = [np.asarray(o).T.reshape(-1, self.THUMB_RES, self.THUMB_RES) for o in outs]
        weights = [np.asarray(layer.kernel) for layer in self._dense]
        biases = [np.asarray(layer.bias) if layer.use_bias else np.zeros(w.shape[1], np.float32)
                  for layer, w in zip(self._dense, weights)]
        inputs = self._thumb_X.T.reshape(-1, self.THUMB_RES, self.THUMB_RES)
        with self._lock:
            hist = {k: list(v) for k, v in self.history.items()}
            epoch = self.epoch
        return {"epoch": epoch, "surface": surface, "neurons": neurons, "inputs": inputs,
                "weights": weights, "biases": biases, "history": hist,
                "train_loss": hist["train"][-1] if hist["train"] else self._loss(self.train_idx),
                "test_loss": hist["test"][-1] if hist["test"] else self._loss(self.test_idx),
                "playing": self.playing, "error": self.error, "time": time.monotonic()}

    def snapshot(self) -> dict:
        """The latest surface, neuron outputs, weights and losses (cheap: computed by the
        training thread at most every ``refresh`` seconds)."""
        self.last_seen = time.monotonic()
        with self._lock:
            snap = dict(self._snap)
        snap["playing"] = self.playing
        snap["error"] = self.error
        return snap

    # -- controls
    @property
    def playing(self) -> bool:
        return self._play.is_set() and self._thread is not None and self._thread.is_alive()

    def play(self, refresh: float = 0.2, idle_timeout: float = 60.0) -> None:
        if self.error:
            return
        self._play.set()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, args=(refresh, idle_timeout),
                                            name="kwk-playground", daemon=True)
            self._thread.start()

    def pause(self) -> None:
        self._play.clear()

    def step(self) -> None:
        """One epoch now (paused), and a fresh snapshot."""
        self.pause()
        self.wait_paused()
        if not self.error:
            self.train_epoch()
        snap = self._compute_snapshot()
        with self._lock:
            self._snap = snap

    def wait_paused(self, timeout: float = 10.0) -> None:
        t0 = time.monotonic()
        while self._thread is not None and self._thread.is_alive() and time.monotonic() - t0 < timeout:
            time.sleep(0.01)

    def close(self) -> None:
        self._quit.set()
        self._play.clear()

    def _loop(self, refresh: float, idle_timeout: float) -> None:
        last = 0.0
        try:
            while self._play.is_set() and not self._quit.is_set():
                if time.monotonic() - self.last_seen > idle_timeout or self.epoch >= MAX_EPOCHS:
                    break  # nobody is watching (tab closed), or enough: pause by itself
                self.train_epoch()
                now = time.monotonic()
                if now - last >= refresh:
                    snap = self._compute_snapshot()
                    with self._lock:
                        self._snap = snap
                    last = now
        except Exception as e:  # never let the thread die silently
            self.error = f"Training stopped: {type(e).__name__}: {e}"
        finally:
            self._play.clear()
            snap = self._compute_snapshot()
            with self._lock:
                self._snap = snap
