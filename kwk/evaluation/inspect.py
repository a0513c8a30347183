"""The layer inspector: what each layer of a trained network computes, for a student.

Pure functions over a Keras model and encoded inputs (what ``Preprocessor.transform`` gives);
no Streamlit; TensorFlow/Keras are imported inside the functions that need them.

- :func:`layer_outputs`: each layer's output for one input (a row, a picture, a window, a text).
- :func:`weight_histograms`: the weights and biases of each layer, as histograms.
- :func:`dead_units`: per ReLU layer, the share of units that output 0 on every sampled input.
- :func:`gradient_norms`: per layer, the norm of the loss gradient with respect to its weights,
  for a sample of training rows with the model as it is (the final, trained one).
"""
from __future__ import annotations

import numpy as np

MAX_VALUES = 20_000   # weights per layer kept for a histogram (a seeded sample of bigger ones)
BINS = 30


def _layers(model) -> list:
    """The layers worth showing: every layer but the inputs."""
    return [l for l in model.layers if type(l).__name__ != "InputLayer"]


def _inputs(model):
    """The model's input as it was declared: one tensor (not a one-item list), so that a
    probe model built on it takes an array without a structure warning."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def _as_input(X):
    from kwk.prep.preprocess import model_input
    return model_input(X)


def layer_outputs(model, x) -> list[dict]:
    """Each layer's output for ONE input ``x`` (an encoded row, shape ``(1, ...)`` or without
    the leading 1). Returns ``[{"layer", "type", "shape" (without the batch), "values"
    (np.ndarray of that shape), "kind": "vector" | "maps" | "matrix" | "other", "relu"
    (bool: the layer ends with a ReLU), "probability" (bool: it ends with a sigmoid or
    softmax, so its values are probabilities from 0 to 1)}]`` in order, starting with the input itself (layer
    ``"input"``, when it is numbers): ``maps`` is a (height, width, channels) output
    (convolutions), ``matrix`` a 2-D one (steps × features), ``vector`` a flat one."""
    import keras
    x = np.asarray(x) if not hasattr(x, "shape") else x
    if getattr(x, "ndim", 0) == len(model.inputs[0].shape) - 1:
        x = x[None]
    layers = [l for l in _layers(model) if hasattr(l, "output")]
    probe = keras.Model(_inputs(model), [l.output for l in layers])
    outs = probe(_as_input(x[:1]), training=False)  # a direct call: no predict() retracing
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    def entry(name, typ, v, relu=False, probability=False):
        kind = {1: "vector", 2: "matrix", 3: "maps"}.get(v.ndim, "other")
        if not np.issubdtype(v.dtype, np.number):
            kind = "other"
        return {"layer": name, "type": typ, "shape": tuple(v.shape), "values": v, "kind": kind,
                "relu": relu, "probability": probability}

    x0 = np.asarray(x)[0]
    res = [entry("input", "Input", x0)] if np.issubdtype(x0.dtype, np.number) else []
    for l, o in zip(layers, outs):
        res.append(entry(l.name, type(l).__name__, np.asarray(o)[0], _is_relu(l),
                         _is_probability(l)))
    return res


def weight_histograms(model, bins: int = BINS, seed: int = 0) -> list[dict]:
    """Per layer with weights: ``{"layer", "type", "n_weights", "kernel": {"edges", "counts",
    "mean", "std"} | None, "bias": same | None}``. The kernel is the layer's first weight
    (its connection weights, an embedding's vectors, batch normalisation's scale), the bias its
    weight named ``bias`` (batch normalisation's ``beta``); the other weights (recurrent
    kernels, moving statistics) count in ``n_weights``. Big kernels are histogrammed
    from a seeded sample of ``MAX_VALUES`` values."""
    rng = np.random.default_rng(seed)

    def hist(w):
        v = np.asarray(w, dtype=float).reshape(-1)
        v = v[np.isfinite(v)]
        if len(v) == 0:
            return None
        if len(v) > MAX_VALUES:
            v = rng.choice(v, MAX_VALUES, replace=False)
        lo, hi = float(v.min()), float(v.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
        return {"edges": edges.tolist(), "counts": counts.tolist(), "mean": float(v.mean()),
                "std": float(v.std())}

    out = []
    for l in _layers(model):
        ws = l.weights
        if not ws:
            continue
        kernel = next((w for w in ws if w.name not in ("bias", "beta")), None)
        bias = next((w for w in ws if w.name in ("bias", "beta")), None)  # beta: batch norm
        out.append({"layer": l.name, "type": type(l).__name__,
                    "n_weights": int(sum(int(np.prod(w.shape)) for w in ws)),
                    "kernel": hist(kernel.numpy()) if kernel is not None else None,
                    "bias": hist(bias.numpy()) if bias is not None else None})
    return out


def _is_relu(layer) -> bool:
    name = type(layer).__name__
    if name == "ReLU":
        return True
    act = getattr(layer, "activation", None)
    return act is not None and getattr(act, "__name__", "") == "relu"


def _is_probability(layer) -> bool:
    """Whether the layer's outputs are probabilities (a sigmoid or softmax at its end)."""
    name = type(layer).__name__
    if name == "Softmax":
        return True
    act = getattr(layer, "activation", None)
    return act is not None and getattr(act, "__name__", "") in ("sigmoid", "softmax")


def dead_units(model, X) -> list[dict]:
    """Per ReLU layer (a layer with ``activation='relu'`` or a ReLU layer): ``{"layer",
    "units", "dead", "share"}``: a unit (the last axis: a neuron, or a convolution's channel)
    is *dead* when it outputs 0 for every input of ``X`` (and every position of a picture).
    ``share`` is in [0, 1]."""
    import keras
    layers = [l for l in _layers(model) if _is_relu(l)]
    if not layers or len(X) == 0:
        return []
    probe = keras.Model(_inputs(model), [l.output for l in layers])
    outs = None
    for start in range(0, len(X), 256):
        part = probe(_as_input(X[start:start + 256]), training=False)
        part = [np.asarray(o) for o in (part if isinstance(part, (list, tuple)) else [part])]
        # a unit is alive when it is positive somewhere: keep the running maximum per unit
        part = [o.reshape(-1, o.shape[-1]).max(axis=0) for o in part]
        outs = part if outs is None else [np.maximum(a, b) for a, b in zip(outs, part)]
    res = []
    for l, o in zip(layers, outs):
        alive = o > 0
        units = int(o.shape[-1])
        dead = int(units - alive.sum())
        res.append({"layer": l.name, "units": units, "dead": dead,
                    "share": dead / units if units else 0.0})
    return res


def _loss(loss_name: str, task: str):
    import keras
    default = {"binary": "binary_crossentropy", "multiclass": "sparse_categorical_crossentropy",
               "regression": "mean_squared_error"}[task]
    try:
        return keras.losses.get(loss_name if loss_name and loss_name != "auto" else default)
    except (ValueError, TypeError):
        return keras.losses.get(default)


def gradient_norms(model, X, y, loss_name: str, task: str) -> list[dict]:
    """Per layer with trainable weights: ``{"layer", "type", "norm"}``, the L2 norm of the
    gradient of the loss (mean over the rows of ``X``, targets ``y`` encoded as in training)
    with respect to the layer's weights, with the model as it is now. Tiny norms in the first
    layers and big ones near the output mean the first layers barely learn (vanishing
    gradients); huge norms, exploding ones."""
    import tensorflow as tf
    loss_fn = _loss(loss_name, task)
    layers = [l for l in _layers(model) if l.trainable_weights]
    if not layers:
        return []
    xs = _as_input(X)
    yt = np.asarray(y)
    if task == "binary":
        yt = yt.reshape(-1, 1).astype("float32")
    elif task == "regression":
        yt = yt.reshape(-1, 1).astype("float32")
    weights = [w for l in layers for w in l.trainable_weights]
    with tf.GradientTape() as tape:
        pred = model(xs, training=False)
        if task == "regression":
            pred = tf.reshape(pred, (-1, 1))
        loss = tf.reduce_mean(loss_fn(yt, pred))
    grads = tape.gradient(loss, weights)
    res, i = [], 0
    for l in layers:
        k = len(l.trainable_weights)
        # an embedding's gradient comes as IndexedSlices (only the rows used): densify it
        g = [np.asarray(tf.convert_to_tensor(gi)) for gi in grads[i:i + k] if gi is not None]
        i += k
        norm = float(np.sqrt(sum(float((gi.astype(float) ** 2).sum()) for gi in g)))
        res.append({"layer": l.name, "type": type(l).__name__, "norm": norm})
    return res


def inspect_inputs(pre, df, rows) -> np.ndarray:
    """The encoded inputs of the given row positions of ``df`` (tables, pictures, texts), or,
    for a time series, of the look-back windows whose forecast is for those rows (the test
    rows of a series are the rows forecast)."""
    rows = np.asarray(rows, dtype=int)
    if pre.sequence:
        X, _, targets = pre.forecast_windows(df, with_targets=True)
        where = {int(t): i for i, t in enumerate(targets) if t >= 0}
        pick = [where[int(r)] for r in rows if int(r) in where]
        return X[pick]
    return pre.transform(df.iloc[rows])


def training_sample(n_rows: int, test_rows, size: int = 256, seed: int = 0) -> np.ndarray:
    """Positions of up to ``size`` rows that are not test rows (the training and validation
    rows), seeded."""
    mask = np.ones(n_rows, dtype=bool)
    mask[np.asarray(test_rows, dtype=int)] = False
    cand = np.flatnonzero(mask)
    if len(cand) > size:
        cand = np.sort(np.random.default_rng(seed).choice(cand, size, replace=False))
    return cand


def training_batch(pre, df, test_rows, size: int = 256, seed: int = 0):
    """Encoded inputs and targets ``(X, y)`` of up to ``size`` training rows (rows that are not
    test rows; for a time series, windows whose target row is not a test row), encoded as in
    training, for :func:`gradient_norms`. Rows without a usable target value are left out."""
    from kwk.data.numbers import to_number
    name = pre.state["target"]["name"]
    test = set(np.asarray(test_rows, dtype=int).tolist())
    rng = np.random.default_rng(seed)
    if pre.sequence:
        X, ends, targets = pre.forecast_windows(df, with_targets=True)
        pick = np.flatnonzero([t >= 0 and int(t) not in test for t in targets])
        if len(pick) > size:
            pick = np.sort(rng.choice(pick, size, replace=False))
        values = to_number(df[name]).to_numpy(dtype=float, na_value=np.nan)
        if pre.forecasts_change:  # the network learns the change from the window's last value
            t = pre.state["target"]
            y = ((values[targets[pick]] - values[ends[pick]] - t["mean"]) / t["std"])
        else:
            y = pre.encode_target(df[name].iloc[targets[pick]])
        y = np.asarray(y, dtype=np.float32)
        ok = np.isfinite(y)
        return X[pick][ok], y[ok]
    rows = df.iloc[training_sample(len(df), test_rows, size=size, seed=seed)]
    rows = rows[rows[name].notna()]
    if pre.task != "regression":  # rows of a class the model never saw cannot be scored
        from kwk.prep.preprocess import as_labels
        rows = rows[as_labels(rows[name]).isin(pre.classes).to_numpy()]
    y = pre.encode_target(rows[name])
    ok = np.isfinite(y.astype(float))
    return pre.transform(rows)[ok], y[ok]
