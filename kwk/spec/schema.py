"""The spec's schema: ``normalize``, which checks a spec's structure and fills every default
(the settings and their defaults, as Params, are in :mod:`kwk.spec.params`), reporting every
problem at once; ``loads`` and ``dumps`` read and write the JSON text (a public contract).

Spec versions: 1 is every spec without transforms; 2 adds ``data.transforms`` (a transform per
number column), ``data.target_transform`` and ``data.missing_indicators``. Both are read; a
spec is written as version 2 only when it uses them, so every other spec stays version 1 and
older KwK still reads it."""
from __future__ import annotations

import json
import math

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import check_all
from kwk.data.kind_names import KINDS
from kwk.errors import SpecError
from kwk.spec.params import (  # noqa: F401  (kwk.spec.schema's names)
    BRANCHES, CLASS_LOSSES, DATA_KEYS, LOSSES, MAX_CLASSES, MAX_IMAGE_VALUES, MAX_PARAMS,
    OPTIMIZERS, OUTPUT_ACTIVATIONS, OUTPUT_PARAMS, READS_VERSIONS, REGRESSION_LOSSES,
    SEQUENCE_PARAMS, SPEC_VERSION, TARGET_TRANSFORMS, TASKS, TEXT_PARAMS, TOP_KEYS,
    TRAINING_PARAMS, TRANSFORMS, V2_DATA_KEYS)
from kwk.spec.tuning import normalize_tune


def default_spec(target: str | None = None) -> dict:
    """A complete spec with every default filled in and a small MLP."""
    return normalize({"kwk_spec": SPEC_VERSION, "data": {"target": target},
                      "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                                 {"type": "Dense", "units": 16, "activation": "relu"}]})


def changed_training(training: dict) -> list[tuple[str, object, object]]:
    """``(name, value, default)`` of each option of a spec's ``training`` section that differs
    from KwK's default, in the order of TRAINING_PARAMS (the Train page's form)."""
    defaults = default_spec()["training"]
    return [(p.name, training[p.name], defaults.get(p.name)) for p in TRAINING_PARAMS
            if p.name in training and training[p.name] != defaults.get(p.name)]


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
    if d.get("tune") is not None:  # optional: how `kwk tune` searches (kwk.spec.tuning)
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
        from kwk.spec.reuse import normalize_reuse  # reused weights, frozen layers
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
