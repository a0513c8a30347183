"""spec (resolved against the data) -> a standalone, readable Keras script in the style of the
keras-io examples: a title docstring, named constants, ``## Section`` prose, then load, split,
preprocess, build, train, evaluate, save.

Safety: every value taken from a spec or a file (paths, column names, class labels) enters the
script only through :func:`lit`, i.e. as a Python literal (``repr``), never as code.
"""
from __future__ import annotations

import datetime as _dt
import re
from string import Template

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import constraint_args, penalty_args
from kwk.spec import OPTIMIZERS, loss_name, output_activation


def lit(v) -> str:
    """A Python literal for a JSON-like value (str, number, bool, None, list, dict)."""
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, (int, float, str)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(lit(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{lit(str(k))}: {lit(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"not a literal: {type(v).__name__}")


def _lit_list(items: list, indent: int = 4, width: int = 92) -> str:
    """A list literal wrapped over several lines when long."""
    one = lit(items)
    if len(one) <= width - indent:
        return one
    lines, cur = [], ""
    for it in items:
        piece = lit(it) + ", "
        if len(cur) + len(piece) > width - indent and cur:
            lines.append(" " * indent + cur.rstrip())
            cur = ""
        cur += piece
    lines.append(" " * indent + cur.rstrip())
    return "[\n" + "\n".join(lines) + "\n]"


def layer_code(layer: dict) -> str:
    """``layers.Dense(16, activation='relu')`` for one spec layer: positional arguments first,
    then only the settings that differ from Keras's defaults."""
    lt = CATALOG[layer["type"]]
    wraps = lt.extra.get("wraps")
    if wraps:  # layers.Bidirectional(layers.LSTM(32), merge_mode=...)
        inner_type = layer.get(wraps, lt.defaults()[wraps])
        inner = {"type": inner_type, **{k: v for k, v in layer.items()
                                        if k not in ("type", wraps, *lt.extra.get("outer", ()))}}
        outer = [f"{k}={lit(layer.get(k, lt.defaults()[k]))}" for k in lt.extra.get("outer", ())
                 if layer.get(k, lt.defaults()[k]) != next(p for p in lt.params if p.name == k).default]
        return f"layers.{lt.name}({', '.join([layer_code(inner), *outer])})"
    args = []
    for p in lt.params:
        v = layer.get(p.name, p.default)
        if p.name in lt.positional:
            args.append(lit(v))
            continue
        if not p.differs_from_keras(v):
            continue
        if p.value_type == "regularizer":
            kw = ", ".join(f"{k}={lit(x)}" for k, x in penalty_args(v).items())
            args.append(f"{p.name}=keras.regularizers.{v['type']}({kw})")
        elif p.value_type == "constraint":
            kw = ", ".join(f"{k}={lit(x)}" for k, x in constraint_args(v).items())
            args.append(f"{p.name}=keras.constraints.{v['type']}({kw})")
        else:
            args.append(f"{p.name}={lit(v)}")
    return f"layers.{lt.name}({', '.join(args)})"


def model_code(spec: dict, n_inputs: int | str = "N_INPUTS", n_out: int | str = "N_OUTPUTS") -> str:
    """The model-building lines alone (shown live on the Build page)."""
    d = spec["data"]
    lines = ['model = keras.Sequential(name="kwk_model")',
             f"model.add(keras.Input(shape=({n_inputs},)))"]
    image = d.get("image_shape")
    if d.get("text"):
        t = d["text"]
        lines = ["# Raw text in: the vocabulary is learned from the training texts.",
                 f"vectorize = layers.TextVectorization(max_tokens={t['max_tokens']}, "
                 f"output_sequence_length={t['sequence_length']})",
                 "vectorize.adapt(X_train)",
                 'model = keras.Sequential(name="kwk_model")',
                 'model.add(keras.Input(shape=(1,), dtype="string"))',
                 "model.add(vectorize)"]
    elif d.get("sequence"):
        w = d["sequence"]["window"]
        steps = f"({w}, {n_inputs // w})" if isinstance(n_inputs, int) else \
            f"({w}, {n_inputs} // {w})"
        lines.append(f"model.add(layers.Reshape({steps}))  # one window -> (steps, columns)")
    if image:
        lines.append(f"model.add(layers.Reshape({lit(tuple(image))}))  # pixel columns -> "
                     f"{image[0]}x{image[1]}x{image[2]} pictures")
        lines.append("model.add(layers.Rescaling(1 / PIXEL_STD, offset=-PIXEL_MEAN / PIXEL_STD))"
                     "  # raw pixels -> mean 0, spread 1")
    lines += [f"model.add({layer_code(layer)})" for layer in spec["layers"]]
    task = spec["data"]["task"] if spec["data"]["task"] != "auto" else "regression"
    act = output_activation({**spec, "data": {**spec["data"], "task": task}})
    lines.append(f"model.add(layers.Dense({n_out}, activation={lit(act)}))  # output layer")
    return "\n".join(lines)


def _optimizer_code(tr: dict) -> str:
    lines = []
    lr = "LEARNING_RATE"
    if tr["lr_schedule"] == "exponential":
        lines.append("# The learning rate is multiplied by LR_DECAY_RATE after every epoch.")
        lines.append("learning_rate = keras.optimizers.schedules.ExponentialDecay(\n"
                     "    LEARNING_RATE, decay_steps=steps_per_epoch, decay_rate=LR_DECAY_RATE)")
        lr = "learning_rate"
    elif tr["lr_schedule"] == "cosine":
        lines.append("# The learning rate glides down along a cosine curve to 1% by the last epoch.")
        lines.append("learning_rate = keras.optimizers.schedules.CosineDecay(\n"
                     "    LEARNING_RATE, decay_steps=steps_per_epoch * EPOCHS, alpha=0.01)")
        lr = "learning_rate"
    kw = [f"learning_rate={lr}"]
    if tr["optimizer"] in ("sgd", "rmsprop"):
        kw.append(f"momentum={lit(tr['momentum'])}")
    if tr["optimizer"] == "sgd":
        kw.append(f"nesterov={lit(tr['nesterov'])}")
    if tr.get("weight_decay") is not None:
        kw.append(f"weight_decay={lit(tr['weight_decay'])}")
    lines.append(f"optimizer = keras.optimizers.{OPTIMIZERS[tr['optimizer']]}({', '.join(kw)})")
    return "\n".join(lines)


def _callbacks_code(tr: dict) -> str:
    lines = ["callbacks = []"]
    if tr["early_stopping_patience"] > 0:
        lines.append("# Stop when the validation loss stops improving.")
        lines.append("callbacks.append(keras.callbacks.EarlyStopping(\n"
                     f"    monitor=\"val_loss\", patience={tr['early_stopping_patience']}, "
                     f"restore_best_weights={lit(tr['restore_best_weights'])}))")
    if tr["lr_schedule"] == "reduce_on_plateau":
        lines.append("# Cut the learning rate when the validation loss stalls.")
        lines.append("callbacks.append(keras.callbacks.ReduceLROnPlateau(\n"
                     f"    monitor=\"val_loss\", factor={lit(tr['lr_plateau_factor'])}, "
                     f"patience={tr['lr_plateau_patience']}))")
    return "\n".join(lines)


_SPLIT_HOLDOUT = '''idx = np.arange(len(df))
strata = as_labels(df[TARGET]).to_numpy() if TASK != "regression" and STRATIFY else None
try:
    rest, test_idx = train_test_split(idx, test_size=TEST_FRACTION, random_state=SEED,
                                      stratify=strata)
    train_idx, val_idx = train_test_split(
        rest, test_size=VALIDATION_FRACTION / (1 - TEST_FRACTION), random_state=SEED,
        stratify=None if strata is None else strata[rest])
except ValueError:  # a class too rare to split in proportion: split at random
    rest, test_idx = train_test_split(idx, test_size=TEST_FRACTION, random_state=SEED)
    train_idx, val_idx = train_test_split(
        rest, test_size=VALIDATION_FRACTION / (1 - TEST_FRACTION), random_state=SEED)'''

_SPLIT_COLUMN = '''# The split comes from a column of the data: train / validation / test (or 0 / 1 / 2).
VALIDATION_COLUMN = $column
ROLES = {"train": 0, "training": 0, "0": 0, "validation": 1, "valid": 1, "val": 1, "1": 1,
         "test": 2, "testing": 2, "holdout": 2, "2": 2}
role = as_labels(df[VALIDATION_COLUMN]).str.lower().map(ROLES).to_numpy()
train_idx, val_idx, test_idx = (np.flatnonzero(role == r) for r in (0, 1, 2))'''


def _image_read_code(read_options: dict) -> str:
    import inspect

    from kwk.data import images
    helpers = "\n\n".join(inspect.getsource(f) for f in (images.image_members, images.decode_image))
    size = tuple(int(v) for v in read_options["size"])
    color = "grayscale" if read_options.get("color") == "grayscale" else "rgb"
    return (f"# The pictures: one folder per class in the zip, each resized to {size[0]}x{size[1]} "
            f"{color}\n# and flattened into pixel columns px_0, px_1, ... (as KwK reads them).\n"
            f"{helpers}\n\n"
            "pixels, labels = [], []\n"
            "with zipfile.ZipFile(DATA_PATH) as zf:\n"
            "    for name, label in image_members(zf.namelist()):\n"
            "        try:\n"
            f"            pixels.append(decode_image(zf.read(name), {size!r}, {color!r}).reshape(-1))\n"
            "        except Exception:  # KwK skips files that are not pictures\n"
            "            continue\n"
            "        labels.append(label)\n"
            "df = pd.DataFrame(np.stack(pixels), columns=[f\"px_{i}\" for i in range(len(pixels[0]))])\n"
            "df[\"label\"] = labels")


def _sql_read_code(read_options: dict) -> str:
    return ("# The data: a SQL query. KwK never writes database credentials into a script: the\n"
            "# URL comes from the KWK_DB_URL environment variable (or the first argument).\n"
            f"DB_URL_USED = {lit(read_options.get('url', ''))}  # without user name or password\n"
            "engine = sqlalchemy.create_engine(os.environ.get(\"KWK_DB_URL\") or DATA_PATH)\n"
            "with engine.connect() as conn:\n"
            f"    df = pd.read_sql_query(sqlalchemy.text({lit(read_options['query'])}), conn)\n"
            "df.columns = [str(c) for c in df.columns]\n"
            "for col in df.columns:  # database decimals arrive as objects, as KwK reads them\n"
            "    if df[col].dtype == object:\n"
            "        conv = pd.to_numeric(df[col], errors=\"coerce\")\n"
            "        if conv.notna().sum() == df[col].notna().sum() and df[col].notna().any():\n"
            "            df[col] = conv")


def _read_code(fmt: str, read_options: dict) -> str:
    if fmt == "images":
        return _image_read_code(read_options)
    if fmt == "sql":
        return _sql_read_code(read_options)
    from kwk.data.loader import reader_options
    opts = "".join(f", {k}={lit(v)}" for k, v in reader_options(read_options).items())
    fn = {"csv": "read_csv", "excel": "read_excel", "parquet": "read_parquet",
          "jsonl": "read_json"}[fmt]
    member = read_options.get("zip_member")
    if member:  # the one table inside a zip archive
        code = (f"with zipfile.ZipFile(DATA_PATH) as archive:\n"
                f"    df = pd.{fn}(io.BytesIO(archive.read({lit(member)})){opts})")
    else:
        code = f"df = pd.{fn}(DATA_PATH{opts})"
    k = read_options.get("blank_tail_columns", 0)
    if k:
        code += f"\ndf = df.iloc[:, :-{k}]  # the header's empty last column(s): nothing in them"
    formatted = read_options.get("formatted_numbers")
    if formatted:
        import inspect

        from kwk.data.numbers import parse_formatted
        code = (inspect.getsource(parse_formatted).rstrip() + "\n\n\n" + code
                + "\n# Numbers written with currency or percent signs or thousands separators\n"
                "df.columns = [str(c).strip() for c in df.columns]\n"
                f"for col, mark in {lit(dict(formatted))}.items():\n"
                "    df[col] = parse_formatted(df[col], decimal=mark)")
    if fmt == "jsonl":  # as KwK does: nested values become their JSON text
        code += ("\nfor col in df.columns:\n"
                 "    df[col] = df[col].map(lambda v: json.dumps(v, default=str, sort_keys=True)\n"
                 "                          if isinstance(v, (list, dict)) else v)")
    return code


_TEMPLATE = Template('''\
"""
Title: Predict $target_text with a neural network
Generated by: Keras Without Keras (KwK) on $date
Description: $task_text from the table `$data_name`, trained with Keras.

This script is standalone: it reads the data, splits it, preprocesses it, builds and trains the
same network as KwK, evaluates it on the held-out test rows and saves the model.
Run it with `python train_script.py [path/to/data]` (needs pandas, numpy, scikit-learn, keras
and tensorflow).
"""

"""
## Setup
"""

import json
import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # bit-for-bit repeatable on CPU, as in KwK

$imports

"""
## Settings

Every choice made in KwK, as named constants.
"""

DATA_PATH = sys.argv[1] if len(sys.argv) > 1 else $data_path
OUTPUT_DIR = sys.argv[2] if len(sys.argv) > 2 else "."
TARGET = $target
TASK = $task  # "binary", "multiclass" or "regression"
FEATURES = $features
KINDS = $kinds
MAX_CATEGORIES = $max_categories
SEED = $seed
VALIDATION_FRACTION = $val_frac
TEST_FRACTION = $test_frac
STRATIFY = $stratify
EPOCHS = $epochs
BATCH_SIZE = $batch_size
LEARNING_RATE = $learning_rate
LR_DECAY_RATE = $lr_decay_rate
CLASS_WEIGHT = $class_weight
LOSS = $loss

keras.utils.set_random_seed(SEED)  # same split, same initial weights, same shuffling
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()

"""
## Load the data

Rows without a target value cannot be learned from, so they are left out.
"""

$read_code
df.columns = [str(c).strip() for c in df.columns]


def as_labels(s):
    """Text labels: 1.0 -> "1", so a value means the same whatever its column's type."""

    def one(v):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()

    return s.map(one, na_action="ignore").astype(object)


def to_number(s):
    """Numbers; text such as "?" and infinities become missing values."""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        out = s.astype(float)
    else:
        out = pd.to_numeric(s.astype(str).str.strip(), errors="coerce").where(s.notna())
    return out.replace([np.inf, -np.inf], np.nan)


$parse_dates


def date_parts(s):
    """Days since 1970, month and day of week of a date column."""
    d = parse_dates(s)
    days = (d - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds() / 86400.0
    return pd.DataFrame({"days": days, "month": d.dt.month.astype(float),
                         "dayofweek": d.dt.dayofweek.astype(float)}, index=s.index)


keep = df[TARGET].notna()
if TASK == "regression":
    keep &= to_number(df[TARGET]).notna()
df = df[keep]
print(f"{len(df)} rows, {len(FEATURES)} input columns, target: {TARGET!r}")

"""
## Split into train, validation and test rows

The test rows are kept aside until the very end, for an honest score. For classification the
split keeps the class proportions the same in every part (stratified), when classes allow it.
"""

$split_code
train_df, val_df, test_df = df.iloc[train_idx], df.iloc[val_idx], df.iloc[test_idx]

$preprocess_code
$target_code

$inputs_code

"""
## Build the model

$model_prose
"""

$model_code
model.summary()

"""
## Train
"""

steps_per_epoch = int(np.ceil(len(X_train) / BATCH_SIZE))
$optimizer_code
model.compile(optimizer=optimizer, loss=LOSS, metrics=$compile_metrics)
$callbacks_code
$class_weight_code
history = model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=EPOCHS,
                    batch_size=BATCH_SIZE, class_weight=class_weight, callbacks=callbacks,
                    shuffle=True, verbose=2)

"""
## Evaluate on the test rows
"""

$evaluate_code
print(json.dumps(results, indent=2))

"""
## Save
"""

os.makedirs(OUTPUT_DIR, exist_ok=True)
model.save(os.path.join(OUTPUT_DIR, "model.keras"))
with open(os.path.join(OUTPUT_DIR, "script_metrics.json"), "w") as f:
    json.dump(results, f, indent=2)
print("Saved model.keras and script_metrics.json in", os.path.abspath(OUTPUT_DIR))
''')

# Kept out of the template text so no line of this module starts with "import keras".
_PREPROCESS_TABLE = '''\
"""
## Preprocess

Statistics are learned on the training rows only. Numbers: missing values are filled with the
median, then standardised (mean 0, standard deviation 1). Categories: one 0/1 column per label.
Dates: days since 1970, month and day of week, treated as numbers.
"""


def number_stats(x):
    fill = float(x.median()) if x.notna().any() else 0.0
    filled = x.fillna(fill)
    std = float(filled.std(ddof=0))
    return {"fill": fill, "mean": float(filled.mean()), "std": std if std > 0 else 1.0}


def scale(x, st):
    return ((x.fillna(st["fill"]).to_numpy(dtype=float) - st["mean"]) / st["std"]).astype("float32")


fitted = {}
for col in FEATURES:
    if KINDS[col] == "numeric":
        fitted[col] = number_stats(to_number(train_df[col]))
    elif KINDS[col] == "datetime":
        parts = date_parts(train_df[col])
        fitted[col] = {p: number_stats(parts[p]) for p in parts.columns}
    else:  # categorical or boolean: the most frequent labels
        counts = as_labels(train_df[col]).value_counts()
        fitted[col] = sorted(counts.index, key=lambda v: (-counts[v], v))[:MAX_CATEGORIES]


def encode_features(frame):
    blocks = []
    for col in FEATURES:
        if KINDS[col] == "numeric":
            blocks.append(scale(to_number(frame[col]), fitted[col])[:, None])
        elif KINDS[col] == "datetime":
            parts = date_parts(frame[col])
            blocks += [scale(parts[p], fitted[col][p])[:, None] for p in parts.columns]
        else:
            labels = as_labels(frame[col]).to_numpy()
            cats = np.array(fitted[col], dtype=object)
            blocks.append((labels[:, None] == cats[None, :]).astype("float32"))
    return np.hstack(blocks).astype("float32")'''

_IMPORTS = "\n".join([
    "import numpy as np",
    "import pandas as pd",
    "import keras",
    "from keras import layers",
    "from sklearn import metrics",
    "from sklearn.model_selection import train_test_split",
])

_CLASS_TARGET = '''\
# Class labels become whole numbers 0, 1, 2, ... in sorted order.
CLASSES = sorted(as_labels(train_df[TARGET]).dropna().unique().tolist())
class_index = {c: i for i, c in enumerate(CLASSES)}


def encode_target(frame):
    return as_labels(frame[TARGET]).map(class_index).to_numpy(dtype=float)


y_train, y_val, y_test = (encode_target(f) for f in (train_df, val_df, test_df))
# Validation/test rows of a class never seen in training cannot be scored: leave them out.
val_df, y_val = val_df[~np.isnan(y_val)], y_val[~np.isnan(y_val)]
test_df, y_test = test_df[~np.isnan(y_test)], y_test[~np.isnan(y_test)]
y_train, y_val, y_test = (y.astype("int64") for y in (y_train, y_val, y_test))
N_OUTPUTS = len(CLASSES) if TASK == "multiclass" else 1'''

_REG_TARGET = '''\
# The target is standardised for training; predictions are turned back into its units.
y_numbers = to_number(train_df[TARGET])
Y_MEAN, Y_STD = float(y_numbers.mean()), float(y_numbers.std(ddof=0)) or 1.0


def encode_target(frame):
    return ((to_number(frame[TARGET]).to_numpy() - Y_MEAN) / Y_STD).astype("float32")


y_train, y_val, y_test = (encode_target(f) for f in (train_df, val_df, test_df))
N_OUTPUTS = 1'''

_CLASS_EVAL = '''\
proba = model.predict(X_test, verbose=0)
if TASK == "binary":
    proba = np.column_stack([1 - proba.reshape(-1), proba.reshape(-1)])
proba = np.clip(proba.astype(float), 1e-7, 1 - 1e-7)
proba = proba / proba.sum(axis=1, keepdims=True)
pred = proba.argmax(axis=1)
labels = list(range(len(CLASSES)))
results = {
    "accuracy": metrics.accuracy_score(y_test, pred),
    "balanced_accuracy": metrics.balanced_accuracy_score(y_test, pred),
    "f1_macro": metrics.f1_score(y_test, pred, labels=labels, average="macro", zero_division=0),
    "log_loss": metrics.log_loss(y_test, proba, labels=labels),
}
if len(np.unique(y_test)) == len(CLASSES):
    results["roc_auc"] = (metrics.roc_auc_score(y_test, proba[:, 1]) if TASK == "binary" else
                          metrics.roc_auc_score(y_test, proba, multi_class="ovr", labels=labels))
results = {k: float(v) for k, v in results.items()}'''

_REG_EVAL = '''\
pred = model.predict(X_test, verbose=0).reshape(-1) * Y_STD + Y_MEAN
actual = y_test * Y_STD + Y_MEAN
results = {
    "rmse": float(np.sqrt(metrics.mean_squared_error(actual, pred))),
    "mae": float(metrics.mean_absolute_error(actual, pred)),
    "r2": float(metrics.r2_score(actual, pred)),
}'''


_INPUTS_TABLE = '''\
X_train, X_val, X_test = (encode_features(f) for f in (train_df, val_df, test_df))
print(f"Encoded inputs: {X_train.shape[1]} columns")'''

_PIXEL_SCALE = '''\
# Pictures are scaled inside the model (its Rescaling layer) with the mean and spread of the
# training pixels, so the saved model takes raw pixel values.
PIXEL_MEAN = float(np.mean(X_train, dtype=np.float64))
PIXEL_STD = float(np.std(X_train, dtype=np.float64)) or 1.0'''

_PREPROCESS_TEXT = '''\
"""
## Preprocess

The network reads the raw text itself: a TextVectorization layer (built below) keeps the
MAX_TOKENS most frequent words of the training texts and turns each text into its first
SEQUENCE_LENGTH word numbers. Missing texts are empty.
"""

TEXT_COLUMN = $text_column
MAX_TOKENS = $max_tokens
SEQUENCE_LENGTH = $sequence_length


$text_values'''

_INPUTS_TEXT = '''\
# Keras takes texts as a string tensor.
X_train, X_val, X_test = (tf.constant(text_values(f[TEXT_COLUMN]).astype(str))
                          for f in (train_df, val_df, test_df))'''

_SPLIT_SERIES = '''\
# Time series: the rows of each series are ordered by time, and the split is chronological.
# The distinct times are cut into a training period, then a validation period, then the test
# period (the latest), so the model is never trained on what comes after the rows it is
# tested on.
TIME_COLUMN = $time_column
GROUP_COLUMN = $group_column  # the column that tells the series apart (None: one series)
WINDOW = $window  # each forecast sees this many consecutive rows of its series
HORIZON = $horizon  # ... and predicts the target this many rows after the last one


$helpers


order, times = series_order(df, TIME_COLUMN, GROUP_COLUMN)
has_time = ~np.isnan(times)  # rows without a readable time or a series are left out
df, times = df.iloc[order[has_time]], times[has_time]
period = chronological_roles(times, VALIDATION_FRACTION, TEST_FRACTION)
train_idx, val_idx, test_idx = (np.flatnonzero(period == r) for r in (0, 1, 2))'''

_INPUTS_SERIES = '''\
# Look-back windows: WINDOW consecutive rows of one series (every row encoded with the
# training period's statistics), laid out as one row of inputs; the target lies HORIZON rows
# after the window's last row. A window belongs to the period of its target.
starts, target_rows = window_positions(series_ids(df, GROUP_COLUMN), WINDOW, HORIZON)
windows = make_windows(encode_features(df), starts, WINDOW)
window_targets = encode_target(df.iloc[target_rows])
split_of = period[target_rows]
X_train, X_val, X_test = (windows[split_of == r] for r in (0, 1, 2))
y_train, y_val, y_test = (window_targets[split_of == r] for r in (0, 1, 2))
# The naive forecast to beat: the latest value of the target in the window.
naive_test = to_number(df[TARGET]).to_numpy()[starts + WINDOW - 1][split_of == 2]
print(f"{len(starts)} windows of {WINDOW} rows x {X_train.shape[1] // WINDOW} columns")'''

_CHANGE_TARGET = '''\
# The network learns the change from the window's last value (standardised with the training
# windows' changes, in place of the target's own statistics above), so it starts out as good
# as the naive forecast and copes with trends beyond the training period.
y_values = to_number(df[TARGET]).to_numpy()
last_values = y_values[starts + WINDOW - 1]
changes = y_values[target_rows] - last_values
Y_MEAN, Y_STD = float(changes[split_of == 0].mean()), float(changes[split_of == 0].std()) or 1.0
window_targets = ((changes - Y_MEAN) / Y_STD).astype("float32")
y_train, y_val, y_test = (window_targets[split_of == r] for r in (0, 1, 2))'''

_RELATIVE_INPUTS = '''\
# The target's own past values (the first input of every step) are taken relative to the
# window's last value, so a level never seen in training still looks familiar.
windows = relative_to_last(windows, WINDOW)
X_train, X_val, X_test = (windows[split_of == r] for r in (0, 1, 2))'''

_CHANGE_EVAL = '''\
# Forecast = the window's last value + the predicted change.
pred = model.predict(X_test, verbose=0).reshape(-1) * Y_STD + Y_MEAN + naive_test
actual = y_test * Y_STD + Y_MEAN + naive_test
results = {
    "rmse": float(np.sqrt(metrics.mean_squared_error(actual, pred))),
    "mae": float(metrics.mean_absolute_error(actual, pred)),
    "r2": float(metrics.r2_score(actual, pred)),
}'''

_NAIVE_EVAL = '''
results["naive_rmse"] = float(np.sqrt(metrics.mean_squared_error(actual, naive_test)))
results["naive_mae"] = float(metrics.mean_absolute_error(actual, naive_test))'''


def _parse_dates_source() -> str:
    import inspect

    from kwk.prep import series
    return inspect.getsource(series.parse_dates).rstrip()


def _series_helpers(relative: bool = False) -> str:
    import inspect

    from kwk.prep import series
    return "\n\n".join(inspect.getsource(f) for f in (
        series.time_values, series.series_labels, series.series_order, series.chronological_roles,
        series.series_ids, series.window_positions, series.make_windows,
        *((series.relative_to_last,) if relative else ()))).rstrip()


def _prose(text: str, limit: int = 80) -> str:
    """Text from the data shown inside the docstring: harmless characters only."""
    return re.sub(r"[^\w .,()+-]", "_", str(text))[:limit]


def generate_script(spec: dict, data_path: str = "data.csv", fmt: str = "csv",
                    read_options: dict | None = None, data_name: str | None = None) -> str:
    """The full training script for a *resolved* spec (see ``kwk.spec.resolve``)."""
    from kwk.prep.preprocess import MAX_CATEGORIES
    d, tr = spec["data"], spec["training"]
    task = d["task"]
    task_text = {"binary": "Two-class classification", "multiclass": "Multiclass classification",
                 "regression": "Regression"}[task]
    act = output_activation(spec)
    model = model_code(spec, "X_train.shape[1]", "N_OUTPUTS")
    n_hidden = len(spec["layers"])
    prose = (f"A stack of {n_hidden} layer{'s' if n_hidden != 1 else ''} and an output layer with "
             + {"binary": "one sigmoid unit: the probability of the second class.",
                "multiclass": "one softmax unit per class: the probability of each class.",
                "regression": f"one {act} unit: the predicted number (standardised)."}[task])
    cw = ('class_weight = None\n' if tr["class_weight"] == "none" or task == "regression" else
          '# "balanced": rare classes weigh more, so the model cannot ignore them.\n'
          'counts = np.bincount(y_train, minlength=len(CLASSES)).astype(float)\n'
          'weights = len(y_train) / (len(CLASSES) * np.maximum(counts, 1))\n'
          'class_weight = {i: float(w) for i, w in enumerate(weights)}\n')
    seq, text = d.get("sequence"), d.get("text")
    imports = {"images": "import io\nimport zipfile\n\n" + _IMPORTS,
               "sql": "import sqlalchemy\n" + _IMPORTS}.get(fmt, _IMPORTS)
    if (read_options or {}).get("zip_member"):
        imports = "import io\nimport zipfile\n\n" + _IMPORTS
    if text:
        imports += "\nimport tensorflow as tf"
    # Series forecasting the change; the target's past inputs relative to the last value
    # when they are the first input (as kwk.prep.preprocess.Preprocessor.relative_target_input).
    change = bool(seq) and seq.get("predict", "value") == "change"
    relative = change and d["features"][:1] == [d["target"]]
    if seq:
        split = Template(_SPLIT_SERIES).substitute(
            time_column=lit(seq["time"]), group_column=lit(seq["group"]), window=seq["window"],
            horizon=seq["horizon"], helpers=_series_helpers(relative))
    elif tr["validation"] == "column":
        split = Template(_SPLIT_COLUMN).substitute(column=lit(d["validation_column"]))
    else:
        split = _SPLIT_HOLDOUT
    if text:
        import inspect

        from kwk.prep.preprocess import text_values
        preprocess = Template(_PREPROCESS_TEXT).substitute(
            text_column=lit(d["features"][0]), max_tokens=text["max_tokens"],
            sequence_length=text["sequence_length"], text_values=inspect.getsource(text_values).rstrip())
        inputs = _INPUTS_TEXT
    else:
        preprocess, inputs = _PREPROCESS_TABLE, (_INPUTS_SERIES if seq else _INPUTS_TABLE)
    if d.get("image_shape"):
        fit_line = "        fitted[col] = number_stats(to_number(train_df[col]))\n"
        assert fit_line in preprocess
        preprocess = preprocess.replace(fit_line, fit_line + "        fitted[col].update(mean=0.0, "
                                        "std=1.0)  # pixels: scaled inside the model\n")
        inputs += "\n" + _PIXEL_SCALE
    evaluate = _REG_EVAL if task == "regression" else _CLASS_EVAL
    if change:
        inputs += "\n" + _CHANGE_TARGET + ("\n" + _RELATIVE_INPUTS if relative else "")
        evaluate = _CHANGE_EVAL
    if seq:
        evaluate += _NAIVE_EVAL
    return _TEMPLATE.substitute(
        imports=imports, split_code=split, preprocess_code=preprocess, inputs_code=inputs,
        target_text=_prose(d["target"]), parse_dates=_parse_dates_source(),
        date=_dt.date.today().isoformat(),
        task_text=task_text,
        data_name=_prose(data_name or data_path),
        data_path=lit(str(data_path)),
        target=lit(d["target"]), task=lit(task),
        features=_lit_list(d["features"]),
        kinds="{\n" + "".join(f"    {lit(c)}: {lit(d['kinds'][c])},\n" for c in d["features"]) + "}",
        max_categories=MAX_CATEGORIES, seed=tr["seed"],
        val_frac=lit(tr["validation_fraction"]), test_frac=lit(tr["test_fraction"]),
        stratify=lit(tr["stratify"]), epochs=tr["epochs"], batch_size=tr["batch_size"],
        learning_rate=lit(tr["learning_rate"]), lr_decay_rate=lit(tr["lr_decay_rate"]),
        class_weight=lit(tr["class_weight"]), loss=lit(loss_name(spec)),
        read_code=_read_code(fmt, read_options or {}),
        target_code=_REG_TARGET if task == "regression" else _CLASS_TARGET,
        model_prose=prose, model_code=model,
        optimizer_code=_optimizer_code(tr), callbacks_code=_callbacks_code(tr),
        class_weight_code=cw,
        compile_metrics='["accuracy"]' if task != "regression" else "[]",
        evaluate_code=evaluate,
    )
