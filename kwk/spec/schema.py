"""The spec's schema: the settings it holds (as Params), their defaults, and ``normalize``, which
checks a spec's structure and fills every default, reporting every problem at once; ``loads``
and ``dumps`` read and write the JSON text (a public contract).

Spec versions: 1 is every spec without transforms; 2 adds ``data.transforms`` (a transform per
number column), ``data.target_transform`` and ``data.missing_indicators``. Both are read; a
spec is written as version 2 only when it uses them, so every other spec stays version 1 and
older KwK still reads it."""
from __future__ import annotations

import json
import math

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import Param, check_all
from kwk.data.kind_names import KINDS
from kwk.errors import SpecError

SPEC_VERSION = 2
READS_VERSIONS = (1, 2)
V2_DATA_KEYS = ("transforms", "target_transform", "missing_indicators")  # what needs version 2
TRANSFORMS = ("log", "yeo-johnson", "quantile")  # kwk.prep.transforms applies them
TARGET_TRANSFORMS = ("log",)
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
          min_exclusive=True, tune={"low": 1e-5, "high": 0.3, "log": True}),
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
          "faster per epoch but can generalise worse.", min=1, max=65_536,
          tune={"choices": [16, 32, 64, 128, 256, 512]}),
    Param("validation_fraction", "float", 0.15, "Share of rows held out to watch over-fitting "
          "during training.", min=0.0, max=0.5, min_exclusive=True),
    Param("test_fraction", "float", 0.15, "Share of rows kept aside, never seen in training, "
          "for the final honest evaluation.", min=0.0, max=0.5, min_exclusive=True),
    Param("early_stopping_patience", "int", 10, "Stop when validation loss has not improved for "
          "this many epochs (0 = never stop early).", min=0, max=10_000),
    Param("restore_best_weights", "bool", True, "With early stopping, go back to the weights "
          "of the best epoch."),
    Param("class_weight", "choice", "auto", "Classification: 'balanced' gives rare classes more "
          "weight so the model does not ignore them; 'auto' (the default) is 'balanced' when "
          "the rarest class is under 20% of the rows (two classes; under 40% of an even share "
          "with more), else 'none'. The run records which was used.",
          choices=("auto", "none", "balanced")),
    Param("loss", "choice", "auto", "What training minimises. 'auto' picks the standard loss "
          "for the task (cross-entropy for classes, mean squared error for numbers).",
          choices=LOSSES, advanced=True),
    Param("stratify", "bool", True, "Classification: keep class proportions equal in the "
          "train, validation and test splits.", advanced=True),
    Param("mixed_precision", "bool", False, "On a GPU with tensor cores (compute capability "
          "7.0+): compute in float16 and keep the weights in float32, often 2-3x faster. "
          "Ignored, with a note, where there is no such GPU.", advanced=True),
    Param("seed", "int", 0, "Fixes all randomness (split, initial weights, shuffling) so a "
          "run can be repeated exactly.", min=0, max=2**31 - 1),
)
OUTPUT_PARAMS: tuple[Param, ...] = (
    Param("activation", "choice", "auto", "The output layer's activation; 'auto' uses sigmoid "
          "(two classes), softmax (several classes) or linear (numbers).",
          choices=OUTPUT_ACTIVATIONS),
)
TOP_KEYS = ("kwk_spec", "name", "data", "branches", "layers", "output", "training", "tune")
DATA_KEYS = ("target", "features", "task", "kinds", "validation_column", "image_shape",
             "sequence", "text", "inputs", *V2_DATA_KEYS)
# A mixed-input model ("branches"): one stack of layers per input, merged into the head
# ("layers"). "table" reads the feature columns, "text" the column data.text.column, "image"
# the pixel columns of data.image_shape. data.inputs lists each branch's columns (resolved).
BRANCHES = ("table", "text", "image")
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
    Param("column", "column", None, "The column that holds the text (else data.features names "
          "it). A model with a text branch needs it.", nullable=True),
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
    """The spec as indented JSON text (non-ASCII column names kept readable)."""
    return json.dumps(spec, indent=2, ensure_ascii=False)


def _where(i: int, layer) -> str:
    """How messages name a layer: "Layer 2 (Dense)", or "Layer 2" when its type is unknown."""
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
    version = d.get("kwk_spec", 1)
    if version not in READS_VERSIONS:
        problems.append(f"'kwk_spec' is {version!r}; this version of KwK reads spec version "
                        f"{' or '.join(map(str, READS_VERSIONS))}.")
    name = d.get("name")
    if name is not None and not isinstance(name, str):
        problems.append("'name' must be text.")
    out = {"kwk_spec": 1, "name": name,
           "data": _normalize_data(d.get("data", {}), problems,
                                   mixed=d.get("branches") is not None)}
    if any(k in out["data"] for k in V2_DATA_KEYS):
        out["kwk_spec"] = SPEC_VERSION
    if d.get("branches") is not None:
        out["branches"] = _normalize_branches(d["branches"], out["data"], problems)
    elif out["data"].get("inputs"):
        problems.append("data.inputs names the columns of each branch, but the spec has no "
                        "'branches'. Add them, or remove data.inputs.")
    out["layers"] = _normalize_layers(d.get("layers", []), out["data"].get("text"), problems)
    output = d.get("output") or {}
    if not isinstance(output, dict):
        problems.append("'output' must be an object like {\"activation\": \"auto\"}.")
        output = {}
    problems += check_all(OUTPUT_PARAMS, output, "output")
    out["output"] = {p.name: output.get(p.name, p.default) for p in OUTPUT_PARAMS}
    out["training"] = _normalize_training(d.get("training") or {}, problems)
    if d.get("tune") is not None:  # optional: how `kwk tune` searches (kwk.tune.space)
        from kwk.tune.space import normalize_tune
        out["tune"] = normalize_tune(d["tune"], out["layers"], problems)
    if problems:
        raise SpecError(problems)
    return out


def _normalize_branches(branches, data: dict, problems: list[str]) -> dict:
    """The ``branches`` of a mixed-input model, each a list of layers with its defaults."""
    if not isinstance(branches, dict) or not branches:
        problems.append("'branches' must be an object with one list of layers per input, e.g. "
                        "{\"table\": [...], \"text\": [...]}.")
        return {}
    out = {}
    for name, layers in branches.items():
        if name not in BRANCHES:
            problems.append(f"Unknown branch '{name}'. Allowed: {', '.join(BRANCHES)}.")
            continue
        out[name] = _normalize_layers(layers, data.get("text") if name == "text" else None,
                                      problems, where=f"branches.{name}: ")
        if any("weights" in layer for layer in out[name]):
            problems.append(f"branches.{name}: reusing trained layers inside a branch is not "
                            "supported yet; reuse them in a model without branches.")
    if len(branches) < 2 and not problems:
        problems.append("A model with branches reads at least two inputs (e.g. \"table\" and "
                        "\"text\"); with one input, put its layers in 'layers' instead.")
    if "text" in out and not (data.get("text") or {}).get("column"):
        problems.append("The text branch needs data.text.column: the column that holds the "
                        "text.")
    if "image" in out and not data.get("image_shape"):
        problems.append("The image branch needs data.image_shape: [height, width, channels] "
                        "of the pixel columns.")
    if data.get("sequence"):
        problems.append("Branches are for tables with a text or pictures; a time series "
                        "(data.sequence) has no branches.")
    return {k: out[k] for k in BRANCHES if k in out}  # always in the same order


def _normalize_data(data, problems: list[str], mixed: bool = False) -> dict:
    """The ``data`` section with its defaults; appends its problems to ``problems``."""
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
    out = {"target": target, "features": features, "task": task, "kinds": dict(kinds),
           "validation_column": vcol}
    image_shape = _image_shape(data.get("image_shape"), problems)
    if image_shape is not None:
        out["image_shape"] = list(image_shape)
    for key, params in (("sequence", SEQUENCE_PARAMS), ("text", TEXT_PARAMS)):
        block = data.get(key)
        if block is None:
            continue
        if not isinstance(block, dict):
            problems.append(f"data.{key} must be an object with keys "
                            f"{', '.join(p.name for p in params)}, or null.")
            continue
        problems += check_all(params, block, f"data.{key}")
        out[key] = {p.name: block.get(p.name, p.default) for p in params}
    if "sequence" in out and not out["sequence"]["time"]:
        problems.append("data.sequence.time must name the column that orders the rows in time.")
    if out.get("text") is not None and out["text"].get("column") is None:
        del out["text"]["column"]  # named by data.features (text-only models)
    inputs = data.get("inputs")
    if inputs is not None:
        if not (isinstance(inputs, dict) and all(
                k in BRANCHES and isinstance(v, list) and all(isinstance(c, str) for c in v)
                for k, v in inputs.items())):
            problems.append("data.inputs must map each branch (table, text, image) to its list "
                            "of column names.")
        else:
            out["inputs"] = {k: list(inputs[k]) for k in BRANCHES if k in inputs}
    _normalize_transforms(data, out, problems)
    used = [k for k in ("image_shape", "sequence", "text") if k in out]
    if len(used) > 1 and not mixed:
        problems.append(f"data has both {used[0]} and {used[1]}: a model reads "
                        "one kind of data (pictures, time series or text). Keep one.")
    return out


def _normalize_transforms(data: dict, out: dict, problems: list[str]) -> None:
    """``data.transforms`` ({column: "log" | "yeo-johnson" | "quantile" | "none"}),
    ``data.target_transform`` (null or "log") and ``data.missing_indicators`` (null, "auto":
    decided on the data by ``resolve``, a list of columns, or {column: true | false}). Each is
    kept only when it asks for something, so a spec without them is unchanged."""
    tf = data.get("transforms")
    if tf is not None:
        if not isinstance(tf, dict):
            problems.append("data.transforms must be an object like {\"income\": \"log\"}.")
        else:
            for col, name in tf.items():
                if name not in (*TRANSFORMS, "none", None):
                    problems.append(f"data.transforms: '{col}' has transform {name!r}; choose "
                                    f"one of {', '.join(TRANSFORMS)} (or 'none').")
            kept = {str(c): n for c, n in tf.items() if n in TRANSFORMS}
            if kept:
                out["transforms"] = kept
    tt = data.get("target_transform")
    if tt not in (None, "none", *TARGET_TRANSFORMS):
        problems.append(f"data.target_transform is {tt!r}; choose 'log' (for a positive, "
                        "right-skewed number to predict) or null.")
    elif tt in TARGET_TRANSFORMS:
        out["target_transform"] = tt
    mi = data.get("missing_indicators")
    if isinstance(mi, list) and all(isinstance(c, str) for c in mi):
        mi = dict.fromkeys(mi, True)
    if mi is None or mi == {}:
        return
    if mi == "auto":
        out["missing_indicators"] = "auto"
    elif isinstance(mi, dict) and all(isinstance(v, bool) for v in mi.values()):
        out["missing_indicators"] = {str(c): v for c, v in mi.items()}
    else:
        problems.append("data.missing_indicators must be \"auto\" (where missing values go with "
                        "the target), a list of columns, or {\"column\": true | false}; got "
                        f"{mi!r}.")


def _image_shape(image_shape, problems: list[str]) -> list[int] | None:
    """``data.image_shape`` ([height, width, channels]) when valid, else None (problems added)."""
    if image_shape is None:
        return None
    if not (isinstance(image_shape, list) and len(image_shape) == 3 and
            all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in image_shape)):
        problems.append("data.image_shape must be [height, width, channels] (whole numbers "
                        f"≥ 1), e.g. [8, 8, 1]; got {image_shape!r}.")
        return None
    if math.prod(image_shape) > MAX_IMAGE_VALUES:
        problems.append(f"data.image_shape {image_shape} holds {math.prod(image_shape):,} "
                        f"values per image; the limit is {MAX_IMAGE_VALUES:,}.")
        return None
    return image_shape


def _normalize_layers(layers, text: dict | None, problems: list[str],
                      where: str = "") -> list[dict]:
    """Every layer with its catalog defaults filled in; appends problems to ``problems``. An
    Embedding without a vocabulary size takes the text settings' ``max_tokens``."""
    if not isinstance(layers, list):
        problems.append(f"{where.rstrip(': ') or chr(39) + 'layers' + chr(39)} must be a "
                        "list of layer objects.")
        layers = []
    out = []
    prefix = where
    for i, layer in enumerate(layers, start=1):
        where = prefix + _where(i, layer)
        if not isinstance(layer, dict):
            problems.append(f"{where} must be an object like {{\"type\": \"Dense\", \"units\": 16}}.")
            continue
        t = layer.get("type")
        if t not in CATALOG:
            problems.append(f"{where}: unknown layer type {t!r}. Available: "
                            f"{', '.join(CATALOG)}.")
            continue
        lt = CATALOG[t]
        cfg = {k: v for k, v in layer.items() if k not in ("type", "weights", "trainable")}
        problems += check_all(lt.params, cfg, where)
        from kwk.model.transfer import normalize_reuse  # reused weights, frozen layers
        out.append({"type": t, **{**lt.defaults(), **cfg},
                    **normalize_reuse(layer, where, problems)})
    for layer in out:  # an empty vocabulary size is the text settings' one
        if layer["type"] == "Embedding" and layer.get("input_dim") is None and text:
            layer["input_dim"] = text["max_tokens"]
    return out


def _normalize_training(training, problems: list[str]) -> dict:
    """The ``training`` section with its defaults (whole numbers kept as ints)."""
    if not isinstance(training, dict):
        problems.append("'training' must be an object of training settings.")
        training = {}
    problems += check_all(TRAINING_PARAMS, training, "training")
    tr = {p.name: training.get(p.name, p.default) for p in TRAINING_PARAMS}
    for p in TRAINING_PARAMS:  # JSON has no int/float distinction: keep ints as ints
        if p.value_type == "int" and isinstance(tr[p.name], float) and float(tr[p.name]).is_integer():
            tr[p.name] = int(tr[p.name])
    if not problems:
        vf, tf_ = tr["validation_fraction"], tr["test_fraction"]
        if vf + tf_ >= 0.8:
            problems.append(f"training: validation_fraction + test_fraction = {vf + tf_:.2f} "
                            "leaves too little to train on; keep their sum below 0.8.")
    return tr
