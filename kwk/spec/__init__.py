"""The model spec: plain, versioned JSON that users save, share and reload — a public contract.

    {"kwk_spec": 1,
     "data": {"target": "species", "features": null, "task": "auto", "kinds": {}},
     "layers": [{"type": "Dense", "units": 16, "activation": "relu"}, ...],
     "output": {"activation": "auto"},
     "training": {"optimizer": "adam", "learning_rate": 0.001, ...}}

``normalize`` checks the structure and fills defaults; ``resolve`` checks the spec against a
DataFrame (target present, task fits, features usable, the stack's shapes and size) and returns
the resolved spec (features listed, task decided) plus plain-language notes. Every problem
raises :class:`SpecError` whose message names the layer or setting and the fix.
"""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kwk.data.kinds import KINDS, MODEL_KINDS, infer_kind
from kwk.errors import DataError, SpecError
from kwk.catalog.layers import CATALOG, ShapeError, infer_shapes
from kwk.catalog.params import Param, check_all

SPEC_VERSION = 1
TASKS = ("auto", "binary", "multiclass", "regression")
MAX_CLASSES = 1000
MAX_PARAMS = 20_000_000  # parameter budget: protects a shared server's memory
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop",
              "adagrad": "Adagrad", "adadelta": "Adadelta", "adamax": "Adamax",
              "nadam": "Nadam", "lion": "Lion"}
CLASS_LOSSES = {"binary": ("binary_crossentropy", "binary_focal_crossentropy", "hinge",
                           "squared_hinge"),
                "multiclass": ("sparse_categorical_crossentropy", "categorical_focal_crossentropy")}
REGRESSION_LOSSES = ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh")
LOSSES = ("auto",) + CLASS_LOSSES["binary"] + CLASS_LOSSES["multiclass"] + REGRESSION_LOSSES
OUTPUT_ACTIVATIONS = ("auto", "sigmoid", "softmax", "linear", "relu", "softplus", "tanh")

TRAINING_PARAMS: tuple[Param, ...] = (
    Param("optimizer", "choice", "adam", "The algorithm that adjusts the weights. 'adam' works "
          "well almost everywhere; 'sgd' with momentum is the classic.",
          choices=tuple(OPTIMIZERS)),
    Param("learning_rate", "float", 0.001, "How big each weight update is. Too high: the loss "
          "jumps around or explodes; too low: training crawls.", min=0.0, max=10.0,
          min_exclusive=True),
    Param("momentum", "float", 0.0, "SGD and RMSprop only: how much of the previous update "
          "carries over (0.9 is common for SGD).", min=0.0, max=1.0, max_exclusive=True,
          advanced=True),
    Param("nesterov", "bool", False, "SGD only: look-ahead momentum, often slightly better.",
          advanced=True),
    Param("weight_decay", "float", None, "Shrinks all weights a little at every step (AdamW's "
          "key setting). Leave empty for the optimizer's default.", min=0.0, max=1.0,
          nullable=True, advanced=True),
    Param("lr_schedule", "choice", "constant", "How the learning rate changes over training: "
          "constant; exponential (multiplied by the decay rate each epoch); cosine (glides "
          "down to a small value by the last epoch); reduce_on_plateau (cut when validation "
          "loss stops improving).",
          choices=("constant", "exponential", "cosine", "reduce_on_plateau")),
    Param("lr_decay_rate", "float", 0.9, "Exponential schedule: the factor applied to the "
          "learning rate every epoch.", min=0.0, max=1.0, min_exclusive=True, advanced=True),
    Param("lr_plateau_factor", "float", 0.5, "Reduce-on-plateau: the factor applied when "
          "validation loss stalls.", min=0.0, max=1.0, min_exclusive=True,
          max_exclusive=True, advanced=True),
    Param("lr_plateau_patience", "int", 5, "Reduce-on-plateau: epochs without improvement "
          "before the learning rate is cut.", min=1, max=1000, advanced=True),
    Param("validation", "choice", "holdout", "How the model is judged: 'holdout' keeps "
          "validation and test rows aside; 'kfold' also trains one model per fold and reports "
          "each metric as mean ± sd over folds; 'column' takes the split from a column of your "
          "data (values train / validation / test).", choices=("holdout", "kfold", "column")),
    Param("folds", "int", 5, "k-fold only: how many folds (every row is validated exactly "
          "once).", min=2, max=20, advanced=True),
    Param("repeats", "int", 1, "Train the same spec with this many different seeds and report "
          "each metric as mean ± sd, to see whether differences are real.", min=1, max=20,
          advanced=True),
    Param("epochs", "int", 50, "How many passes over the training data at most.", min=1,
          max=10_000),
    Param("batch_size", "int", 32, "How many rows are used for each weight update. Larger is "
          "faster per epoch but can generalise worse.", min=1, max=65_536),
    Param("validation_fraction", "float", 0.15, "Share of rows held out to watch over-fitting "
          "during training.", min=0.0, max=0.5, min_exclusive=True),
    Param("test_fraction", "float", 0.15, "Share of rows kept aside, never seen in training, "
          "for the final honest evaluation.", min=0.0, max=0.5, min_exclusive=True),
    Param("early_stopping_patience", "int", 10, "Stop when validation loss has not improved for "
          "this many epochs (0 = never stop early).", min=0, max=10_000),
    Param("restore_best_weights", "bool", True, "With early stopping, go back to the weights "
          "of the best epoch."),
    Param("class_weight", "choice", "none", "Classification: 'balanced' gives rare classes more "
          "weight so the model does not ignore them.", choices=("none", "balanced")),
    Param("loss", "choice", "auto", "What training minimises. 'auto' picks the standard loss "
          "for the task (cross-entropy for classes, mean squared error for numbers).",
          choices=LOSSES, advanced=True),
    Param("stratify", "bool", True, "Classification: keep class proportions equal in the "
          "train, validation and test splits.", advanced=True),
    Param("seed", "int", 0, "Fixes all randomness (split, initial weights, shuffling) so a "
          "run can be repeated exactly.", min=0, max=2**31 - 1),
)
OUTPUT_PARAMS: tuple[Param, ...] = (
    Param("activation", "choice", "auto", "The output layer's activation; 'auto' uses sigmoid "
          "(two classes), softmax (several classes) or linear (numbers).",
          choices=OUTPUT_ACTIVATIONS),
)
TOP_KEYS = ("kwk_spec", "name", "data", "layers", "output", "training")
DATA_KEYS = ("target", "features", "task", "kinds", "validation_column", "image_shape",
             "sequence", "text")
MAX_IMAGE_VALUES = 1_000_000
# data.sequence: the rows are time series; each example is a look-back window of rows.
SEQUENCE_PARAMS: tuple[Param, ...] = (
    Param("time", "column", None, "The column that orders the rows in time (dates or numbers)."),
    Param("group", "column", None, "Optional: the column that says which series a row belongs "
          "to (a store, a sensor, a ticker). Windows never mix two series.", nullable=True),
    Param("window", "int", 12, "Look-back window: how many consecutive past rows the model sees "
          "to make one forecast.", min=1, max=1000),
    Param("horizon", "int", 1, "Forecast horizon: how many rows after the window's last row the "
          "predicted value lies (1 = the next row).", min=1, max=1000),
    Param("predict", "choice", "change", "What the network learns: 'change' = how much the target "
          "moves from the window's last value (it starts as good as the naive forecast and copes "
          "with trends beyond the training range); 'value' = the target itself.",
          choices=("change", "value")),
)
# data.text: one text column is the input; the model itself turns raw text into word numbers.
TEXT_PARAMS: tuple[Param, ...] = (
    Param("max_tokens", "int", 10_000, "Vocabulary size: the most frequent words kept (the rest "
          "count as 'unknown').", min=10, max=200_000),
    Param("sequence_length", "int", 100, "Words read per text: longer texts are cut, shorter "
          "ones padded.", min=1, max=5000),
)


def default_spec(target: str | None = None) -> dict:
    """A complete spec with every default filled in and a small MLP."""
    return normalize({"kwk_spec": SPEC_VERSION, "data": {"target": target},
                      "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                                 {"type": "Dense", "units": 16, "activation": "relu"}]})


def loads(text: str) -> dict:
    """Parse and normalise a spec from JSON text."""
    try:
        d = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as e:
        raise SpecError(f"The spec is not valid JSON: {e}.",
                        "Check for a missing comma, quote or bracket.")
    return normalize(d)


def dumps(spec: dict) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False)


def _where(i: int, layer) -> str:
    t = layer.get("type") if isinstance(layer, dict) else None
    return f"Layer {i} ({t})" if isinstance(t, str) and t else f"Layer {i}"


def normalize(d) -> dict:
    """Check a spec's structure and fill every default. Raises :class:`SpecError` listing all
    problems (unknown keys name the allowed ones)."""
    if not isinstance(d, dict):
        raise SpecError("The spec must be a JSON object ({...}) with keys "
                        f"{', '.join(TOP_KEYS)}.")
    problems: list[str] = []
    for k in d:
        if k not in TOP_KEYS:
            problems.append(f"Unknown key '{k}' in the spec. Allowed: {', '.join(TOP_KEYS)}.")
    version = d.get("kwk_spec", SPEC_VERSION)
    if version != SPEC_VERSION:
        problems.append(f"'kwk_spec' is {version!r}; this version of KwK reads spec version "
                        f"{SPEC_VERSION}.")
    name = d.get("name")
    if name is not None and not isinstance(name, str):
        problems.append("'name' must be text.")
    out = {"kwk_spec": SPEC_VERSION, "name": name}

    data = d.get("data", {})
    if not isinstance(data, dict):
        problems.append("'data' must be an object with keys " + ", ".join(DATA_KEYS) + ".")
        data = {}
    for k in data:
        if k not in DATA_KEYS:
            problems.append(f"Unknown key '{k}' in 'data'. Allowed: {', '.join(DATA_KEYS)}.")
    target = data.get("target")
    if target is not None and not isinstance(target, str):
        problems.append(f"data.target must be a column name (text), got {target!r}.")
    features = data.get("features")
    if features is not None and not (isinstance(features, list)
                                     and all(isinstance(f, str) for f in features)):
        problems.append("data.features must be null (all columns) or a list of column names.")
    task = data.get("task", "auto")
    if task not in TASKS:
        problems.append(f"data.task is {task!r}; choose one of {', '.join(TASKS)}.")
    kinds = data.get("kinds") or {}
    if not isinstance(kinds, dict):
        problems.append("data.kinds must be an object like {\"age\": \"numeric\"}.")
        kinds = {}
    for col, kind in kinds.items():
        if kind not in KINDS:
            problems.append(f"data.kinds: '{col}' has kind {kind!r}; choose one of "
                            f"{', '.join(KINDS)}.")
    vcol = data.get("validation_column")
    if vcol is not None and not isinstance(vcol, str):
        problems.append("data.validation_column must be a column name (text) or null.")
    image_shape = data.get("image_shape")
    if image_shape is not None:
        if not (isinstance(image_shape, list) and len(image_shape) == 3 and
                all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in image_shape)):
            problems.append("data.image_shape must be [height, width, channels] (whole numbers "
                            f"≥ 1), e.g. [8, 8, 1]; got {image_shape!r}.")
            image_shape = None
        elif math.prod(image_shape) > MAX_IMAGE_VALUES:
            problems.append(f"data.image_shape {image_shape} holds {math.prod(image_shape):,} "
                            f"values per image; the limit is {MAX_IMAGE_VALUES:,}.")
            image_shape = None
    out["data"] = {"target": target, "features": features, "task": task, "kinds": dict(kinds),
                   "validation_column": vcol}
    if image_shape is not None:
        out["data"]["image_shape"] = list(image_shape)
    for key, params in (("sequence", SEQUENCE_PARAMS), ("text", TEXT_PARAMS)):
        block = data.get(key)
        if block is None:
            continue
        if not isinstance(block, dict):
            problems.append(f"data.{key} must be an object with keys "
                            f"{', '.join(p.name for p in params)}, or null.")
            continue
        problems += check_all(params, block, f"data.{key}")
        out["data"][key] = {p.name: block.get(p.name, p.default) for p in params}
    if "sequence" in out["data"] and not out["data"]["sequence"]["time"]:
        problems.append("data.sequence.time must name the column that orders the rows in time.")
    kinds_used = [k for k in ("image_shape", "sequence", "text") if k in out["data"]]
    if len(kinds_used) > 1:
        problems.append(f"data has both {kinds_used[0]} and {kinds_used[1]}: a model reads "
                        "one kind of data (pictures, time series or text). Keep one.")

    layers = d.get("layers", [])
    if not isinstance(layers, list):
        problems.append("'layers' must be a list of layer objects.")
        layers = []
    out_layers = []
    for i, layer in enumerate(layers, start=1):
        where = _where(i, layer)
        if not isinstance(layer, dict):
            problems.append(f"{where} must be an object like {{\"type\": \"Dense\", \"units\": 16}}.")
            continue
        t = layer.get("type")
        if t not in CATALOG:
            problems.append(f"{where}: unknown layer type {t!r}. Available: "
                            f"{', '.join(CATALOG)}.")
            continue
        lt = CATALOG[t]
        cfg = {k: v for k, v in layer.items() if k != "type"}
        problems += check_all(lt.params, cfg, where)
        out_layers.append({"type": t, **{**lt.defaults(), **cfg}})
    text = out["data"].get("text")
    for layer in out_layers:  # an empty vocabulary size is the text settings' one
        if layer["type"] == "Embedding" and layer.get("input_dim") is None and text:
            layer["input_dim"] = text["max_tokens"]
    out["layers"] = out_layers

    output = d.get("output") or {}
    if not isinstance(output, dict):
        problems.append("'output' must be an object like {\"activation\": \"auto\"}.")
        output = {}
    problems += check_all(OUTPUT_PARAMS, output, "output")
    out["output"] = {p.name: output.get(p.name, p.default) for p in OUTPUT_PARAMS}

    training = d.get("training") or {}
    if not isinstance(training, dict):
        problems.append("'training' must be an object of training settings.")
        training = {}
    problems += check_all(TRAINING_PARAMS, training, "training")
    tr = {p.name: training.get(p.name, p.default) for p in TRAINING_PARAMS}
    for p in TRAINING_PARAMS:  # JSON has no int/float distinction: keep ints as ints
        if p.value_type == "int" and isinstance(tr[p.name], float) and float(tr[p.name]).is_integer():
            tr[p.name] = int(tr[p.name])
    out["training"] = tr
    if not problems:
        vf, tf_ = tr["validation_fraction"], tr["test_fraction"]
        if vf + tf_ >= 0.8:
            problems.append(f"training: validation_fraction + test_fraction = {vf + tf_:.2f} "
                            "leaves too little to train on; keep their sum below 0.8.")
    if problems:
        raise SpecError(problems)
    return out


# ---------------------------------------------------------------- resolving against data

def target_classes(y: pd.Series) -> list:
    """Sorted distinct non-missing values of a classification target."""
    vals = pd.unique(y.dropna())
    try:
        return sorted(vals.tolist())
    except TypeError:
        return sorted(vals.tolist(), key=str)


def infer_task(y: pd.Series, kind: str) -> tuple[str, str]:
    """Decide the task from the target column. Returns ``(task, one-sentence reason)``."""
    n_unique = int(y.nunique(dropna=True))
    name = y.name
    if kind == "boolean" or n_unique == 2:
        a, b = target_classes(y)[:2]
        return "binary", f"'{name}' has exactly two values ({a!s} and {b!s}), so this is a " \
                         "two-class (binary) classification."
    if kind == "numeric":
        num = pd.to_numeric(y, errors="coerce").dropna()
        whole = bool(len(num)) and bool((num == num.round()).all())
        if whole and n_unique <= 10 and n_unique < 0.05 * max(len(num), 1) + 3:
            return "multiclass", f"'{name}' holds only {n_unique} whole-number values, so they " \
                                 "are treated as classes (choose regression if they are amounts)."
        return "regression", f"'{name}' holds numbers with {n_unique} different values, so the " \
                             "model predicts a number (regression)."
    return "multiclass", f"'{name}' has {n_unique} different labels, so the model picks one of " \
                         "them (multiclass classification)."


def resolve(spec: dict, df: pd.DataFrame, kinds: dict[str, str] | None = None) -> tuple[dict, list[str]]:
    """Check ``spec`` against ``df`` and return ``(resolved_spec, notes)``.

    Resolved: ``data.features`` lists the columns used, ``data.task`` is decided, ``data.kinds``
    holds the kind of every feature and of the target. Raises :class:`SpecError` (or
    :class:`DataError` for an unusable target column).
    """
    spec = normalize(spec)
    notes: list[str] = []
    data = spec["data"]
    cols = [str(c) for c in df.columns]
    target = data["target"]
    if not target:
        raise SpecError("No target chosen: set data.target to the column the model should "
                        "predict.", f"Columns: {', '.join(cols[:20])}.")
    if target not in cols:
        raise SpecError(f"The target column '{target}' is not in the data.",
                        f"Choose one of: {', '.join(cols[:30])}.")
    user_kinds = {**(kinds or {}), **data["kinds"]}
    unknown = [c for c in user_kinds if c not in cols]
    if unknown:
        raise SpecError(f"data.kinds names columns that are not in the data: "
                        f"{', '.join(unknown[:10])}.")
    y = df[target]
    if y.notna().sum() == 0:
        raise DataError(f"Every value of the target '{target}' is missing.",
                        "Choose another target column, or fill in the target values.")
    tkind = user_kinds.get(target) or infer_kind(y)[0]
    n_unique = int(y.nunique(dropna=True))
    if n_unique < 2:
        raise DataError(f"The target '{target}' has a single value ({y.dropna().iloc[0]!s}): "
                        "there is nothing to predict.", "Choose a column whose values vary.")
    image_shape = data.get("image_shape")
    if image_shape is not None:  # pixel columns, in order, all of them (constant ones too)
        vcol_name = data.get("validation_column") if spec["training"]["validation"] == "column" else None
        pixels = data["features"] or [c for c in cols if c not in (target, vcol_name)]
        need = math.prod(image_shape)
        if len(pixels) != need:
            raise SpecError(f"data.image_shape {image_shape} needs {need:,} pixel columns but "
                            f"{len(pixels):,} are given.",
                            "List the pixel columns in data.features (row by row), or correct "
                            "the image shape.")
        missing = [c for c in pixels if c not in cols]
        if missing:
            raise SpecError(f"data.features names columns that are not in the data: "
                            f"{', '.join(missing[:10])}.")
        bad = [c for c in pixels if not ptypes.is_numeric_dtype(df[c])]
        if bad:
            raise SpecError(f"Pixel column '{bad[0]}' is not numeric.",
                            "Every pixel column must hold numbers (e.g. 0–255).")
        data = {**data, "features": pixels, "kinds": {**data["kinds"], **{c: "numeric" for c in pixels}}}
        user_kinds.update({c: "numeric" for c in pixels})
    seq, text = data.get("sequence"), data.get("text")
    if seq is not None:
        _check_sequence(seq, target, cols, spec["training"]["validation"], data["task"])
        longest = len(df)
        if seq["group"]:
            from kwk.prep.series import series_labels
            sizes = series_labels(df[seq["group"]]).value_counts()
            if sizes.empty:
                raise DataError(f"The series column '{seq['group']}' is empty.",
                                "Choose the column that names each series, or no series "
                                "column for a single series.")
            longest = int(sizes.max())
        if longest < seq["window"] + seq["horizon"] + 2:
            raise SpecError(f"The longest series has {longest} rows, too few for a look-back "
                            f"window of {seq['window']} rows and a horizon of {seq['horizon']} "
                            "(several windows per series are needed).",
                            "Use a shorter window or horizon"
                            + (", or check the series (group) column." if seq["group"] else "."))
    task, why = infer_task(y, tkind)
    if seq is not None and data["task"] == "auto" and task != "regression":
        num = to_numbers(y)
        if num.notna().sum() < 0.95 * y.notna().sum():
            raise SpecError(f"Time-series forecasting predicts a number, but the target "
                            f"'{target}' is not numeric.", "Choose a numeric target column.")
        task, why = "regression", f"'{target}' is forecast as a number (regression)."
    if data["task"] == "auto":
        notes.append(why)
    else:
        if data["task"] == "regression":
            num = pd.to_numeric(y.dropna().astype(str).str.strip(), errors="coerce") \
                if not ptypes.is_numeric_dtype(y) else y.dropna()
            if num.isna().mean() > 0.05:
                raise SpecError(f"data.task is 'regression' but the target '{target}' is not "
                                "numeric.", "Choose 'multiclass' or 'binary', or a numeric target.")
        if data["task"] == "binary" and n_unique != 2:
            raise SpecError(f"data.task is 'binary' but the target '{target}' has {n_unique} "
                            "different values.", "Choose 'multiclass', or 'auto'.")
        if data["task"] != task:
            notes.append(f"The task was set to {data['task']} (KwK would have guessed {task}).")
        task = data["task"]
    if task in ("binary", "multiclass") and n_unique > MAX_CLASSES:
        raise SpecError(f"The target '{target}' has {n_unique} different values: too many "
                        f"classes (at most {MAX_CLASSES}).",
                        "If it is a number to predict, set the task to regression; otherwise "
                        "choose another target.")
    if seq is not None:
        _check_series_rows(df, seq, target)
    if text is not None:
        features = _text_feature(df, data["features"], target, user_kinds)
    elif data["features"] is None:
        features, left = [], []
        skip = {target} | ({seq["time"], seq["group"]} if seq is not None else set())
        for c in cols:
            if c in skip:
                continue
            k = user_kinds.get(c) or infer_kind(df[c])[0]
            user_kinds[c] = k
            if k in MODEL_KINDS:
                features.append(c)
            else:
                left.append(f"{c} ({k})")
        if left:
            notes.append(f"Left out: {', '.join(left[:10])}{'…' if len(left) > 10 else ''} — "
                         "identifier, constant and free-text columns carry no usable signal for "
                         "this model.")
    else:
        features = list(dict.fromkeys(data["features"]))
        missing = [f for f in features if f not in cols]
        if missing:
            raise SpecError(f"data.features names columns that are not in the data: "
                            f"{', '.join(missing[:10])}.", f"Columns: {', '.join(cols[:30])}.")
        if target in features and seq is None:
            raise SpecError(f"The target '{target}' is also listed as a feature.",
                            "Remove it from data.features: the model cannot use the answer as an input.")
        if seq is not None and target in features:  # its past values come first in each step
            features = [target, *[f for f in features if f != target]]
        for c in features:
            k = user_kinds.get(c) or infer_kind(df[c])[0]
            if k not in MODEL_KINDS:
                raise SpecError(f"Feature '{c}' is a {k} column, which a tabular model cannot "
                                "use.", f"Remove it from data.features, or set its kind to one "
                                f"of {', '.join(MODEL_KINDS)}.")
            user_kinds[c] = k
    if seq is not None and data["features"] is None:
        features = [target, *features]  # the target's own past values are inputs too
        notes.append(f"Time series: each forecast sees the last {seq['window']} rows of its "
                     "series" + (f" ('{seq['group']}')" if seq["group"] else "") + f" — the "
                     f"target '{target}' and {len(features) - 1} other input column(s) — and "
                     f"predicts '{target}' {seq['horizon']} row(s) after the last one. The split "
                     "is chronological: the model is tested on the latest period, never trained "
                     "on the future.")
    if not features:
        raise SpecError("No usable feature columns are left besides the target.",
                        "Check the column kinds: numeric, categorical, boolean or datetime "
                        "columns can be inputs.")
    user_kinds[target] = tkind
    vcol = data.get("validation_column")
    if spec["training"]["validation"] == "column":
        if not vcol:
            raise SpecError("training.validation is 'column' but no data.validation_column is set.",
                            "Choose the column whose values say train / validation / test.")
        if vcol not in cols:
            raise SpecError(f"The validation column '{vcol}' is not in the data.")
        if vcol == target:
            raise SpecError("The validation column cannot be the target.")
        features = [f for f in features if f != vcol]
        if not features:
            raise SpecError("No usable feature columns are left besides the target and the "
                            "validation column.")
    loss = spec["training"]["loss"]
    if loss != "auto":
        ok = CLASS_LOSSES.get(task, REGRESSION_LOSSES) if task != "regression" else REGRESSION_LOSSES
        if loss not in ok:
            raise SpecError(f"training.loss '{loss}' does not fit a {task} task.",
                            f"Choose 'auto' or one of: {', '.join(ok)}.")
    act = spec["output"]["activation"]
    if task == "multiclass" and act not in ("auto", "softmax"):
        raise SpecError(f"output.activation '{act}' does not fit several classes.",
                        "Use 'auto' or 'softmax'.")
    if task == "binary" and act not in ("auto", "sigmoid"):
        raise SpecError(f"output.activation '{act}' does not fit two classes.",
                        "Use 'auto' or 'sigmoid'.")
    if task == "regression" and act in ("sigmoid", "softmax"):
        raise SpecError(f"output.activation '{act}' squeezes predictions into 0–1, which does "
                        "not fit predicting a number.", "Use 'auto' (linear).")
    spec["data"] = {"target": target, "features": features, "task": task,
                    "kinds": {c: user_kinds[c] for c in [*features, target]},
                    "validation_column": vcol if spec["training"]["validation"] == "column" else None}
    if seq is not None:
        spec["data"]["sequence"] = dict(seq)
    if text is not None:
        spec["data"]["text"] = dict(text)
        notes.append(f"Text: the model reads the column '{features[0]}' itself, keeping the "
                     f"{text['max_tokens']:,} most frequent words and the first "
                     f"{text['sequence_length']} words of each text.")
    if image_shape is not None:
        spec["data"]["image_shape"] = list(image_shape)
        notes.append(f"The {len(features):,} pixel columns form {image_shape[0]}×{image_shape[1]} "
                     f"{'grayscale' if image_shape[2] == 1 else 'colour'} images; the model "
                     "reshapes each row into its picture.")
    return spec, notes


def to_numbers(y: pd.Series) -> pd.Series:
    return y if ptypes.is_numeric_dtype(y) and not ptypes.is_bool_dtype(y) else \
        pd.to_numeric(y.astype(str).str.strip(), errors="coerce").where(y.notna())


def _check_sequence(seq: dict, target: str, cols: list[str], validation: str, task: str) -> None:
    for role in ("time", "group"):
        c = seq[role]
        if c is None:
            continue
        if c not in cols:
            raise SpecError(f"The {role} column '{c}' (data.sequence.{role}) is not in the data.",
                            f"Choose one of: {', '.join(cols[:30])}.")
        if c == target:
            raise SpecError(f"The target '{target}' cannot also be the {role} column.",
                            f"Choose another column for data.sequence.{role}.")
    if seq["group"] is not None and seq["group"] == seq["time"]:
        raise SpecError("The time column and the series (group) column are the same.",
                        "Leave the group empty for a single series.")
    if validation != "holdout":
        raise SpecError(f"Time series are split by time, so training.validation must be "
                        f"'holdout' (not '{validation}'): k-fold or a split column would train "
                        "on rows that come after the ones tested.",
                        "Set training.validation to 'holdout'.")
    if task not in ("auto", "regression"):
        raise SpecError(f"Time-series forecasting predicts a number; data.task is '{task}'.",
                        "Set data.task to 'regression' or 'auto'.")


def _check_series_rows(df: pd.DataFrame, seq: dict, target: str) -> None:
    """Quick checks of the time column, so the Target and Build pages explain them before
    training (which checks every parsed time again): the first rows must read as times, and
    no two rows of a series may share a time (checked here up to 200,000 rows)."""
    from kwk.prep.series import duplicate_time, series_labels, time_values, unreadable_times
    sample = df[seq["time"]].dropna().head(2000)
    if len(sample):
        bad = np.isnan(time_values(sample))
        if bad.mean() > 0.5:
            raise unreadable_times(seq, list(sample[bad].astype(str).unique()), int(bad.sum()),
                                   len(sample))
    if len(df) <= 200_000:
        keep = df[target].notna() & df[seq["time"]].notna()
        rows = pd.DataFrame({"t": df[seq["time"]]})
        if seq["group"]:  # rows without a series are left out, as in training
            rows["g"] = series_labels(df[seq["group"]])
            keep &= rows["g"].notna()
        rows = rows[keep]
        dups = rows[rows.duplicated()]
        dups = dups[~np.isnan(time_values(dups["t"]))]  # unreadable ones are left out
        if len(dups):
            first = dups.iloc[0]
            raise duplicate_time(seq, first["g"] if seq["group"] else None, first["t"])


def _text_feature(df: pd.DataFrame, features, target: str, kinds: dict) -> list[str]:
    """The one text column a text model reads (data.features, or the only text column)."""
    cols = [str(c) for c in df.columns]
    if features is None:
        found = [c for c in cols if c != target
                 and (kinds.get(c) or infer_kind(df[c])[0]) == "text"]
        if not found:  # short or repetitive texts can look like categories: words per value
            found = [c for c in cols if c != target and not ptypes.is_numeric_dtype(df[c])
                     and df[c].head(5000).dropna().astype(str).str.split().str.len().median() >= 2]
    else:
        found = list(dict.fromkeys(features))
        missing = [c for c in found if c not in cols]
        if missing:
            raise SpecError(f"data.features names columns that are not in the data: "
                            f"{', '.join(missing[:10])}.", f"Columns: {', '.join(cols[:30])}.")
        if target in found:
            raise SpecError(f"The target '{target}' is also listed as a feature.",
                            "Remove it from data.features: the model cannot use the answer as an input.")
    if len(found) != 1:
        raise SpecError(("A text model reads exactly one text column; "
                         + (f"there are {len(found)}: {', '.join(found[:10])}." if found else
                            "none was found.")),
                        "Set data.features to the one column that holds the text, e.g. "
                        "[\"review\"].")
    col = df[found[0]]
    if ptypes.is_numeric_dtype(col) or ptypes.is_bool_dtype(col):
        raise SpecError(f"The column '{found[0]}' holds numbers, not text: a text model reads "
                        "words.", "Set data.features to the column that holds the text (e.g. "
                        "[\"review\"]), or train a table model (without data.text) for numbers.")
    kinds[found[0]] = "text"
    return found


def output_units(task: str, n_classes: int) -> int:
    return n_classes if task == "multiclass" else 1


def output_activation(spec: dict) -> str:
    act = spec["output"]["activation"]
    if act != "auto":
        return act
    return {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}[spec["data"]["task"]]


def loss_name(spec: dict) -> str:
    loss = spec["training"]["loss"]
    if loss != "auto":
        return loss
    return {"binary": "binary_crossentropy", "multiclass": "sparse_categorical_crossentropy",
            "regression": "mean_squared_error"}[spec["data"]["task"]]


def input_shape(spec: dict, n_inputs: int) -> tuple:
    """The shape the first layer receives: an image, a window of rows (steps, columns), the
    word numbers of a text, or a flat row of ``n_inputs`` values."""
    d = spec["data"]
    if d.get("image_shape"):
        image = tuple(d["image_shape"])
        if math.prod(image) != n_inputs:
            raise SpecError(f"data.image_shape {list(image)} holds {math.prod(image):,} values "
                            f"but the data has {n_inputs:,} inputs.", "Correct the image shape.")
        return image
    if d.get("sequence"):
        w = d["sequence"]["window"]
        if n_inputs % w:
            raise SpecError(f"{n_inputs} window inputs do not split into {w} steps.")
        return (w, n_inputs // w)
    if d.get("text"):
        return (d["text"]["sequence_length"],)
    return (n_inputs,)


def check_stack(spec: dict, n_inputs: int, n_classes: int = 1) -> list[dict]:
    """Shapes and parameter counts of every layer including the output layer, checked against
    the parameter budget. Returns a list of ``{"name", "shape", "params"}`` rows (input first)."""
    layers = copy.deepcopy(spec["layers"])
    task = spec["data"]["task"] if spec["data"]["task"] != "auto" else "regression"
    out_layer = {"type": "Dense", "units": output_units(task, n_classes),
                 "activation": output_activation({**spec, "data": {**spec["data"], "task": task}})}
    start = input_shape(spec, n_inputs)
    text = spec["data"].get("text")
    embeddings = [i for i, layer in enumerate(layers, start=1) if layer["type"] == "Embedding"]
    if text is None and embeddings:
        raise SpecError(f"Layer {embeddings[0]} (Embedding) turns word numbers into vectors, so "
                        "it needs text data.", "Remove it, or choose a text column as the input "
                        "(data.text).")
    if text is not None and embeddings[:1] != [1]:
        raise SpecError("A text model starts with an Embedding layer: it turns each word "
                        "number into a vector the next layers can learn from.",
                        "Add an Embedding layer at the top of the stack (the 'Embedding + GRU "
                        "(text)' template is a good start)." if not embeddings else
                        f"Move the Embedding (now layer {embeddings[0]}) to the top.")
    try:
        rows = infer_shapes(start, layers)
    except ShapeError as e:
        raise SpecError(str(e)) from None
    last = rows[-1]["shape"] if rows else start
    if len(last) != 1:
        where = f"Layer {len(layers)} ({layers[-1]['type']})" if layers else "The input"
        if len(last) == 2:
            raise SpecError(f"{where} outputs {tuple(last)}, a sequence (steps, features), but "
                            "the output layer needs a flat vector.",
                            "End the stack with a recurrent layer without return_sequences, or "
                            "add GlobalAveragePooling1D or Flatten at the end.")
        raise SpecError(f"{where} outputs {tuple(last)}, an image, but the output layer needs a "
                        "flat vector.", "Add Flatten or GlobalAveragePooling2D at the end of "
                        "the stack.")
    rows += infer_shapes(last, [out_layer])
    table = [{"name": "Input", "shape": start, "params": 0}]
    for i, (layer, r) in enumerate(zip(layers + [out_layer], rows), start=1):
        label = f"{i} · {layer['type']}" if i <= len(layers) else "Output · Dense"
        table.append({"name": label, **r})
    total = sum(r["params"] for r in table)
    if total > MAX_PARAMS:
        big = max(table, key=lambda r: r["params"])
        raise SpecError(f"The network would have {total:,} weights; the limit is "
                        f"{MAX_PARAMS:,}. The biggest is {big['name']} with {big['params']:,}.",
                        "Use fewer units in the large layers.")
    for r in table:
        if not all(isinstance(d, int) and d > 0 for d in r["shape"]) or math.prod(r["shape"]) <= 0:
            raise SpecError(f"{r['name']} would output an empty shape {r['shape']}.")
    return table
