"""Picture heat-maps computed in the background: where a picture model looked.

Integrated gradients of the class probability, one picture at a time, so a page can show the
maps as they come, stop the work between two pictures, and cap it by pictures and by time.
:func:`heatmaps` is what a background :class:`kwk.evaluation.explain.Task` runs: it loads the
run's bundle itself (TensorFlow is imported in the worker thread, never while a page draws) and
fills a plain dict ``position -> (map, class index)`` that the page reads; it never touches the
UI.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np
import pandas as pd

MAX_PICTURES = 12  # the most confident mistakes plus the picture the user picks
MAX_SECONDS = 90.0  # a job stops after this, keeping the maps it finished
MAX_INPUTS = 64 * 64 * 3  # pixels x channels of a picture a map is computed for
STEPS = 16  # points on the path from the reference picture


def integrated_gradients(model, X: np.ndarray, base: np.ndarray, classes, binary: bool,
                         steps: int = STEPS) -> np.ndarray:
    """Signed integrated gradients ``(n, inputs)`` of each row of ``X`` (model inputs,
    float32) for its class in ``classes``: the gradient of the class probability averaged
    over ``steps`` midpoints of the straight path from ``base`` (``(inputs,)``) to the row,
    times the row's difference from ``base``. Their sum is close to ``p(row) - p(base)``
    (completeness). One model call per row: its ``steps`` path points form the batch."""
    import tensorflow as tf
    X = np.asarray(X, dtype="float32")
    base = np.asarray(base, dtype="float32").reshape(1, -1)
    alphas = ((np.arange(steps) + 0.5) / steps).astype("float32")[:, None]
    out = np.zeros_like(X)
    for i, (x, k) in enumerate(zip(X, classes)):
        path = tf.convert_to_tensor(base + alphas * (x[None, :] - base))
        with tf.GradientTape() as tape:
            tape.watch(path)
            p = model(path, training=False)
            if binary:
                p1 = tf.reshape(p, (-1,))
                chosen = p1 if int(k) == 1 else 1.0 - p1
            else:
                chosen = p[:, int(k)]
        g = tape.gradient(chosen, path).numpy().mean(axis=0)
        out[i] = g * (x - base[0])
    return out


def to_map(attribution: np.ndarray, shape) -> np.ndarray:
    """One picture's attributions ``(inputs,)`` -> its heat-map ``(height, width)`` in [0, 1]:
    absolute value, the largest over the colour channels, scaled by the picture's largest."""
    h, w, c = shape
    m = np.abs(np.asarray(attribution, dtype=float)).reshape(h, w, c).max(axis=2)
    peak = m.max()
    return m / peak if peak > 0 else m


def heatmaps(run_dir, rows: pd.DataFrame, positions: list[int], reference: pd.DataFrame | None,
             out: dict, progress: Callable[[int, int], None] | None = None,
             stop: threading.Event | None = None, max_seconds: float = MAX_SECONDS,
             load=None) -> dict:
    """Heat-maps for ``rows`` (raw rows of a picture run, one per ``positions`` entry), each
    stored in ``out[position] = (map (h, w), predicted class index)`` as soon as it is done.
    Positions already in ``out`` are skipped. Stops between pictures when ``stop`` is set or
    after ``max_seconds``; returns ``{"done", "total", "stopped", "timed_out"}``. ``load``
    turns ``run_dir`` into a bundle (the caller passes :func:`kwk.runs.bundle.load_bundle`:
    evaluation sits below runs and opens no run folder itself)."""
    from kwk.errors import KwkError
    if load is None:
        raise TypeError("heatmaps needs load, which opens run_dir (kwk.runs.bundle.load_bundle).")
    t0 = time.monotonic()
    todo = [(i, p) for i, p in enumerate(positions) if p not in out][:MAX_PICTURES]
    total = len(todo)
    if progress:
        progress(0, total)
    summary = {"done": 0, "total": total, "stopped": False, "timed_out": False}
    if not todo:
        return summary
    b = load(run_dir)
    shape = b.spec.get("data", {}).get("image_shape")
    if not shape:
        raise KwkError("Heat-maps are for picture models.")
    if int(np.prod(shape)) > MAX_INPUTS:
        raise KwkError(f"Heat-maps are drawn for pictures of up to {MAX_INPUTS:,} values; these "
                       f"have {int(np.prod(shape)):,} ({shape[0]}×{shape[1]}×{shape[2]}).",
                       "Train on smaller pictures to see where the model looked.")
    pick = rows.iloc[[i for i, _ in todo]]
    X = np.asarray(b.pre.transform(pick), dtype="float32")
    probs = np.asarray(b.predict_output(pick), dtype=float)
    classes = probs.argmax(axis=1)
    base = (np.asarray(b.pre.transform(reference), dtype="float32").mean(axis=0)
            if reference is not None and len(reference) else np.full(X.shape[1], X.mean()))
    binary = b.pre.task == "binary"
    for j, (_, pos) in enumerate(todo):
        if stop is not None and stop.is_set():
            summary["stopped"] = True
            break
        if time.monotonic() - t0 > max_seconds:
            summary["timed_out"] = True
            break
        a = integrated_gradients(b.model, X[j:j + 1], base, [classes[j]], binary)[0]
        out[pos] = (to_map(a, shape), int(classes[j]))
        summary["done"] = j + 1
        if progress:
            progress(j + 1, total)
    return summary
