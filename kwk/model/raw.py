"""A run's model with its preprocessing inside: raw columns in, answers in the user's terms out.

:func:`raw_model` wraps the bundle's network (which takes the encoded matrix) in Keras
preprocessing that reproduces :class:`kwk.prep.preprocess.Preprocessor` exactly:

- numbers (float32, NaN or ±inf for missing): through their fitted transform if they have one
  (:func:`transform_ops`: log, Yeo-Johnson or quantile, the numbers scikit-learn fitted),
  filled with the training median, then a ``Normalization`` layer with the training mean and
  variance; a column with an informative-missing flag adds its 0/1 "was missing" input;
- categories and yes/no columns (strings, KwK's label text: ``1.0`` is ``"1"``, ``True`` is
  ``"True"``; ``""`` for missing): a ``StringLookup`` with one 0/1 output per training label;
  unseen or missing labels give all zeros, as in training;
- dates (ISO strings, ``"2024-03-01"`` or ``"2024-03-01 13:45:00"``, UTC; ``""`` for missing):
  :class:`kwk.model.date_parts.DateParts` (days since 1970, month, day of week, filled and
  standardised);
- texts: the run's own ``TextVectorization`` (already the network's first layer); the text of a
  mixed-input model: a ``TextVectorization`` with the run's vocabulary, whose word numbers are
  those :func:`kwk.prep.text.word_numbers` gives;
- pictures: one input ``pixels`` with the pixel columns in order (missing pixels filled), then
  the network's own ``Rescaling``.

Outputs: ``probabilities`` ``(n, classes)`` in the order of ``metadata["classes"]``, or
``prediction`` ``(n, 1)`` in the target's units (the network's standardised output turned
back, and out of the log when the target was learned as its log). :func:`raw_inputs` turns a DataFrame of raw rows into the inputs the model takes, the
way a caller outside KwK should. :func:`core_model` is the numeric part alone (encoded matrix
or token ids in, the same outputs), for converters that cannot carry string preprocessing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from kwk.errors import KwkError
from kwk.prep.preprocess import as_labels, text_values, to_number
from kwk.prep.series import parse_dates

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def refuse_unsupported(pre) -> None:
    """Time-series models forecast from look-back windows built across rows, which a
    row-by-row model cannot hold: they are refused with a message."""
    if pre.sequence:
        raise KwkError("A time-series model cannot be exported as a stand-alone model yet: its "
                       "forecasts need look-back windows built from several rows (ordered by "
                       "time, per series), which happens outside the network.",
                       "Use 'python -m kwk predict RUN DATA' or the bundle (kwk.runs.bundle."
                       "load_bundle(RUN).predict(rows)) to forecast.")


def _safe_name(column: str, used: set) -> str:
    """A column's name as an input name every format accepts (letters, digits, _; starting
    with a letter), unique in ``used`` (case-insensitively): 'home city' -> 'home_city'."""
    name = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_"
                   for ch in str(column)).strip("_") or "column"
    if not name[0].isalpha():
        name = "c_" + name
    base, k = name, 2
    while name.lower() in used:
        name, k = f"{base}_{k}", k + 1
    used.add(name.lower())
    return name


def input_specs(pre, spec: dict) -> list[dict]:
    """The exported model's inputs, in order: ``name`` (the input's name, the column's name
    made safe for every format), ``columns`` (the original column names it reads), ``kind``,
    ``dtype`` and ``missing`` (how a missing value is given)."""
    if spec["data"].get("image_shape") and not spec["data"].get("inputs"):
        return [{"name": "pixels", "columns": pre.features, "kind": "pixels",
                 "dtype": "float32", "shape": [len(pre.features)], "missing": "NaN",
                 "image_shape": list(spec["data"]["image_shape"])}]
    used, out = set(), []
    for col in pre.state["columns"]:
        kind = col["kind"]
        item = {"name": _safe_name(col["name"], used), "columns": [col["name"]], "kind": kind,
                "shape": [1]}
        if kind == "numeric":
            item.update(dtype="float32", missing="NaN")
            if col.get("transform"):
                item["transform"] = col["transform"]["name"]
            if col.get("indicator"):
                item["missing_flag"] = True
        elif kind == "datetime":
            item.update(dtype="string", missing="",
                        format="ISO 8601 in UTC: YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
        elif kind == "text":
            item.update(dtype="string", missing="")
        else:
            item.update(dtype="string", missing="", categories=list(col["categories"]),
                        note="KwK's label text (1.0 is '1', True is 'True'); a label not "
                             "listed counts as missing")
        out.append(item)
    return out


def outputs_spec(pre) -> dict:
    if pre.task == "regression":
        return {"prediction": {"shape": [1], "units": f"the target '{pre.state['target']['name']}'"
                               " in its own units"}}
    return {"probabilities": {"shape": [len(pre.classes)], "classes": list(pre.classes)}}


def metadata(pre, spec: dict, inside: bool = True) -> dict:
    """What an exported artifact carries beside its weights (JSON)."""
    t = pre.state["target"]
    return {"kwk_export": 1, "target": t["name"], "task": pre.task,
            "classes": list(pre.classes), "inputs": input_specs(pre, spec),
            "outputs": outputs_spec(pre), "preprocessing_inside": inside}


def raw_inputs(pre, spec: dict, df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Raw rows (original column names) -> ``{input name: array (n, 1)}`` (pictures: one
    ``(n, pixels)`` array) as the exported model takes them: numbers float32 with NaN for
    missing, everything else strings (object arrays)."""
    pre.check_columns(df)
    out = {}
    for item in input_specs(pre, spec):
        kind, cols = item["kind"], item["columns"]
        if kind == "pixels":
            out[item["name"]] = np.column_stack(
                [to_number(df[c]).to_numpy(dtype=np.float32) for c in cols]).astype(np.float32)
            continue
        s = df[cols[0]]
        if kind == "numeric":
            v = to_number(s).to_numpy(dtype=np.float64).astype(np.float32)
        elif kind == "datetime":
            # parsed as KwK parses dates (one format per column, UTC), then written in ISO
            v = parse_dates(s).dt.strftime(DATE_FORMAT).fillna("").to_numpy(dtype=object)
        elif kind == "text":
            v = text_values(s).reshape(-1)
        else:
            v = as_labels(s).fillna("").to_numpy(dtype=object)
        out[item["name"]] = v.reshape(-1, 1)
    return out


def _finite_or(x, fill):
    """``x`` where it is a finite number, else ``fill``, with built-in operations only. ``x - x``
    is NaN exactly for NaN and ±inf, and ``d != d`` is true exactly for NaN: written this way,
    the ONNX converter keeps a true ``Where`` (it would otherwise turn the selection into
    multiplications, and ``NaN * 0`` is NaN) and LiteRT needs no extra operations."""
    from keras import ops
    d = ops.subtract(x, x)
    return ops.where(ops.not_equal(d, d), fill, x)


def transform_ops(x, t):
    """Keras operations computing what scikit-learn's fitted transform ``t`` (the state
    :func:`kwk.prep.transforms.fit_transform` stored) gives, on a float32 tensor ``(n, 1)``:
    ``log``; Yeo-Johnson with its fitted lambda (scikit-learn's formula); the quantile
    transform onto a normal curve (the average of the forward and backward interpolation
    between the training quantiles, its bounds and clipping, computed in float64). NaN where
    the value is missing (NaN, ±inf) or the transform cannot take it, as in training."""
    import numpy as np
    from keras import ops
    name = t["name"]
    if name == "log":
        y = ops.log(x)
    elif name == "yeo-johnson":
        lam, tiny = float(t["lambda"]), float(np.spacing(1.0))
        xp, xn = ops.maximum(x, 0.0), ops.maximum(ops.negative(x), 0.0)
        a = ops.log1p(xp) if abs(lam) < tiny else \
            ops.divide(ops.subtract(ops.power(ops.add(xp, 1.0), lam), 1.0), lam)
        b = ops.negative(ops.log1p(xn)) if abs(lam - 2.0) < tiny else ops.negative(
            ops.divide(ops.subtract(ops.power(ops.add(xn, 1.0), 2.0 - lam), 1.0), 2.0 - lam))
        y = ops.where(ops.greater_equal(x, 0.0), a, b)
    else:  # quantile -> normal
        from scipy.stats import norm
        q = np.asarray(t["quantiles"], dtype=np.float64)
        r = np.asarray(t["references"], dtype=np.float64)
        w, dr = np.diff(q), np.diff(r)
        flat = w <= 0  # repeated quantiles: a step, met half-way at the value itself
        slope = np.where(flat, 0.0, dr / np.where(flat, 1.0, w))
        jump = np.where(flat, dr, 0.0)
        v = ops.cast(x, "float64")
        rel = ops.subtract(v, q[:-1][None, :])
        p = ops.add(
            ops.sum(ops.multiply(ops.minimum(ops.maximum(rel, 0.0),
                                                     np.maximum(w, 0.0)[None, :]), slope), axis=1,
                    keepdims=True),
            ops.sum(ops.multiply(ops.divide(ops.add(ops.sign(rel), 1.0), 2.0), jump), axis=1,
                    keepdims=True))
        p = ops.add(p, float(r[0]))
        p = ops.where(ops.less(ops.subtract(v, 1e-7), q[0]), 0.0, p)
        p = ops.where(ops.greater(ops.add(v, 1e-7), q[-1]), 1.0, p)
        z = ops.multiply(np.sqrt(2.0), ops.erfinv(ops.subtract(ops.multiply(p, 2.0), 1.0)))
        eps = 1e-7 - np.spacing(1)
        z = ops.clip(z, float(norm.ppf(eps)), float(norm.ppf(1 - eps)))
        y = ops.cast(z, "float32")
    d = ops.subtract(x, x)  # NaN exactly for NaN and ±inf: missing stays missing
    return ops.where(ops.not_equal(d, d), d, y)


def missing_flag_ops(x):
    """1.0 where a number input is missing (NaN or ±inf), else 0.0: an informative-missing
    input, as :meth:`kwk.prep.preprocess.Preprocessor.encode_rows` writes it."""
    from keras import ops
    d = ops.subtract(x, x)
    return ops.cast(ops.not_equal(d, d), "float32")


def _head(keras, pre, x):
    """The network's output -> the user's terms (named outputs)."""
    from keras import ops
    if pre.task == "regression":
        t = pre.state["target"]
        if t.get("transform") == "log":  # learned on the log: back to the target's units
            z = keras.layers.Rescaling(float(t["std"]), offset=float(t["mean"]),
                                       name="prediction_log")(x)
            return {"prediction": keras.layers.Activation("exponential", name="prediction")(z)}
        return {"prediction": keras.layers.Rescaling(float(t["std"]), offset=float(t["mean"]),
                                                     name="prediction")(x)}
    if pre.task == "binary":  # one sigmoid unit -> both classes' probabilities
        return {"probabilities": keras.layers.Concatenate(name="probabilities")(
            [ops.subtract(1.0, x), x])}
    return {"probabilities": keras.layers.Identity(name="probabilities")(x)}


def raw_model(bundle, onnx: bool = False):
    """The raw-input Keras model of a loaded bundle (see the module's docstring). ``onnx``:
    numbers are standardised with plain operations instead of a ``Normalization`` layer (the
    ONNX converter turns that layer's statistics into unfed graph inputs); same results."""
    import keras
    from keras import ops

    from kwk.model.date_parts import DateParts
    pre, spec, net = bundle.pre, bundle.spec, bundle.model
    refuse_unsupported(pre)
    inputs, parts = {}, []
    for item in input_specs(pre, spec):
        name, kind = item["name"], item["kind"]
        if kind == "pixels":
            inp = keras.Input(shape=(len(item["columns"]),), name=name, dtype="float32")
            fills = np.array([c["fill"] for c in pre.state["columns"]], dtype=np.float32)
            parts.append(_finite_or(inp, fills))
        elif kind == "numeric":
            col = next(c for c in pre.state["columns"] if c["name"] == item["columns"][0])
            inp = keras.Input(shape=(1,), name=name, dtype="float32")
            x = transform_ops(inp, col["transform"]) if col.get("transform") else inp
            x = _finite_or(x, float(col["fill"]))
            if onnx:  # (x - mean) / std as constants: the converter loses the layer's statistics
                parts.append(ops.divide(ops.subtract(x, float(col["mean"])), float(col["std"])))
            else:
                parts.append(keras.layers.Normalization(mean=[col["mean"]],
                                                        variance=[float(col["std"]) ** 2],
                                                        name=f"{name}_scaled")(x))
            if col.get("indicator"):
                parts.append(missing_flag_ops(inp))
        elif kind == "datetime":
            col = next(c for c in pre.state["columns"] if c["name"] == item["columns"][0])
            inp = keras.Input(shape=(1,), name=name, dtype="string")
            parts.append(DateParts(col["parts"], name=f"{name}_dateparts")(inp))
        elif kind == "text":
            inp = keras.Input(shape=(1,), name=name, dtype="string")
            col = next(c for c in pre.state["columns"] if c["name"] == item["columns"][0])
            if "vocabulary" in col:  # a text branch: its word numbers, read as KwK reads them
                words = keras.layers.TextVectorization(
                    vocabulary=col["vocabulary"], output_sequence_length=col["length"],
                    name=f"{name}_words")(inp)
                parts.append(ops.cast(words, "float32"))
            else:  # a text model: its own TextVectorization is the network's first layer
                parts.append(inp)
        else:
            inp = keras.Input(shape=(1,), name=name, dtype="string")
            onehot = keras.layers.StringLookup(vocabulary=item["categories"], num_oov_indices=1,
                                               output_mode="one_hot", name=f"{name}_lookup")(inp)
            parts.append(onehot[:, 1:])  # drop the 'unseen' slot: unseen labels are all zeros
        inputs[name] = inp
    x = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name="encoded")(parts)
    return keras.Model(inputs, _head(keras, pre, net(x)), name="kwk_raw_input_model")


def text_vectorizer(bundle):
    """A text model's TextVectorization layer (its vocabulary and settings)."""
    return bundle.model.get_layer("0_vectorize")


def core_model(bundle):
    """The network without its string preprocessing, with the outputs of :func:`raw_model`:
    the encoded matrix (``Preprocessor.encode_rows``) in, or for a text model the token ids
    that its TextVectorization gives. Built by applying the trained layers to a new input, so
    the weights are the run's."""
    import keras
    pre, net = bundle.pre, bundle.model
    refuse_unsupported(pre)
    if not pre.text:
        inp = keras.Input(shape=net.input_shape[1:], name="encoded", dtype="float32")
        return keras.Model({"encoded": inp}, _head(keras, pre, net(inp)), name="kwk_core_model")
    vec = text_vectorizer(bundle)
    length = int(vec.get_config()["output_sequence_length"])
    inp = keras.Input(shape=(length,), name="token_ids", dtype="int64")
    x, after = inp, False
    for layer in net.layers:
        if after:
            x = layer(x)
        after = after or layer is vec
    return keras.Model({"token_ids": inp}, _head(keras, pre, x), name="kwk_core_model")
