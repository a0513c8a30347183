"""No export leaves unchecked: the written file is loaded in its own runtime and a few rows are
scored by it and by the run itself.

- ``.keras``: ``keras.saving.load_model`` (safe mode); SavedModel: ``tf.saved_model.load`` and
  its ``serving_default`` signature; LiteRT: the ``ai_edge_litert`` interpreter (TensorFlow's
  ``tf.lite.Interpreter`` where it is not installed); ONNX: ``onnxruntime``.
- The rows (:func:`reference_rows`): :data:`ROWS` rows made from the run's own fitted
  preprocessing (numbers around their training mean, every category, dates around the training
  dates, words of the vocabulary, pixels around the training pixels), the last one with every
  value missing, so the fill values are checked too. A caller may give its own rows instead.
- Tolerance (:data:`TOLERANCE` = 1e-4, absolute): class probabilities must agree within 1e-4;
  a regression's values within 1e-4 of the target's standard deviation (the network's own
  output scale; the target's units can be any size), plus the float32 resolution of the value
  itself (a float32 model cannot state 1,000,000.01 more finely than about 0.06).

A file that does not load, gives other outputs or differs by more is deleted and
:class:`ExportCheckFailed` says why; nothing is handed over.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kwk.export.errors import ExportCheckFailed

TOLERANCE = 1e-4
ROWS = 8
RUNTIME = {"keras": "Keras", "savedmodel": "TensorFlow (SavedModel signature)",
           "tflite": "the LiteRT interpreter", "onnx": "onnxruntime"}


@dataclass
class Check:
    """The result of a passed check: where the file was loaded, on how many rows, and the
    largest difference (probabilities, or a regression's in standard deviations of the
    target)."""
    runtime: str
    rows: int
    max_diff: float
    regression: bool = False

    @property
    def sentence(self) -> str:
        unit = " of the target's standard deviation" if self.regression else ""
        return (f"Loaded in {self.runtime} and matched the model on {self.rows} rows "
                f"(max difference {self.max_diff:.1g}{unit}; tolerance {TOLERANCE:g}).")


def reference_rows(bundle, n: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """``n`` raw rows (the original column names) made from the run's fitted preprocessing:
    numbers drawn around their training mean and spread, each category in turn, dates around
    the training dates, texts from the vocabulary (and one unknown word), pixels around the
    training pixels; the last row has every value missing."""
    pre = bundle.pre
    rng = np.random.default_rng(seed)
    out = {}
    scale = _pixel_scale(bundle)  # pixels are scaled inside the network, not in the state
    pixels = set((pre.inputs or {}).get("image", ())) if pre.inputs else \
        set(pre.features) if bundle.spec["data"].get("image_shape") else set()
    for col in pre.state["columns"]:
        kind = col["kind"]
        if kind == "numeric":
            mean, std = scale if scale and col["name"] in pixels else (col["mean"], col["std"])
            v = (mean + std * rng.normal(size=n)).astype(object)
        elif kind == "datetime":
            st = col["parts"]["days"]
            days = np.clip(st["mean"] + st["std"] * rng.normal(size=n), -25000, 47000)
            v = (pd.Timestamp("1970-01-01") + pd.to_timedelta(np.round(days * 86400), "s")) \
                .strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
        elif kind == "text":
            v = _texts(bundle, col, rng, n)
        elif "categories" in col:
            cats = list(col["categories"]) or ["a"]
            v = np.array([cats[i % len(cats)] for i in rng.permutation(n)], dtype=object)
        else:
            v = np.full(n, None, dtype=object)
        v[-1] = None if n > 1 else v[-1]
        out[col["name"]] = v
    return pd.DataFrame(out)


def _pixel_scale(bundle) -> tuple[float, float] | None:
    """A picture model's training pixel mean and spread (its first Rescaling layer)."""
    try:
        cfg = bundle.model.get_layer("0_rescale").get_config()
    except (ValueError, AttributeError):
        return None
    scale, offset = float(cfg["scale"]), float(cfg["offset"])
    return (-offset / scale, 1.0 / scale) if scale else None


def _texts(bundle, col, rng, n):
    if "vocabulary" in col:
        words = list(col["vocabulary"])
    else:
        from kwk.model.raw import text_vectorizer
        words = [str(w) for w in text_vectorizer(bundle).get_vocabulary()[2:]]
    words = words[:200] or ["word"]
    return np.array([" ".join([*rng.choice(words, size=4), "qzxv"]) for _ in range(n)],
                    dtype=object)


def _feed(bundle, rows, inside: bool) -> dict[str, np.ndarray]:
    """What the exported model takes for ``rows``: the raw inputs (preprocessing inside), or
    the encoded matrix / a text model's token ids (the numeric core, see preprocess.json)."""
    from kwk.model.raw import raw_inputs, text_vectorizer
    if inside:
        return raw_inputs(bundle.pre, bundle.spec, rows)
    if bundle.pre.text:
        vec = text_vectorizer(bundle)
        return {"token_ids": np.asarray(vec(bundle.pre.transform(rows).astype(str)))
                .astype(np.int64)}
    return {"encoded": bundle.pre.encode_rows(rows)}


def _tf_feed(feed):
    import tensorflow as tf
    return {k: tf.constant(v.astype(str)) if v.dtype == object else tf.constant(v)
            for k, v in feed.items()}


def _pick(outputs: dict, key: str):
    """The named output (converters may prefix or suffix the name); the only one otherwise."""
    if key in outputs:
        return outputs[key]
    named = [k for k in outputs if key in str(k)]
    if len(named) == 1:
        return outputs[named[0]]
    if len(outputs) == 1:
        return next(iter(outputs.values()))
    raise KeyError(f"no output named '{key}' (it has {', '.join(map(str, outputs))})")


def run_artifact(fmt: str, path, feed: dict[str, np.ndarray], key: str) -> np.ndarray:
    """Load the file at ``path`` in ``fmt``'s own runtime and return output ``key`` for
    ``feed``."""
    path = str(path)
    if fmt == "keras":
        import keras

        import kwk.export.layers  # noqa: F401  (DateParts, for a model with dates)
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
        return np.asarray(_pick(model(_tf_feed(feed), training=False), key))
    if fmt == "savedmodel":
        import tensorflow as tf
        sig = tf.saved_model.load(path).signatures["serving_default"]
        return np.asarray(_pick(sig(**_tf_feed(feed)), key))
    if fmt == "tflite":
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:  # TensorFlow's own (deprecated) copy of the interpreter
            import tensorflow as tf
            Interpreter = tf.lite.Interpreter
        runner = Interpreter(model_path=path).get_signature_runner()
        return np.asarray(_pick(runner(**feed), key))
    if fmt == "onnx":
        import onnxruntime as ort
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        names = [o.name for o in sess.get_outputs()]
        got = sess.run(None, {i.name: feed[i.name] for i in sess.get_inputs()})
        return np.asarray(_pick(dict(zip(names, got)), key))
    raise ValueError(f"unknown format {fmt}")


def compare(bundle, got: np.ndarray, want: np.ndarray) -> float:
    """The largest difference between an artifact's outputs and the run's, in the check's
    units (probabilities; a regression's in the target's standard deviations), after taking
    away the float32 resolution of a regression's values. NaN anywhere counts as infinite."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.size != want.size:
        raise ValueError(f"{got.size} values for {want.size} expected")
    got = got.reshape(want.shape)
    bad = ~np.isfinite(got) | ~np.isfinite(want)
    if (bad & ~((got == want) | (np.isnan(got) & np.isnan(want)))).any():
        return float("inf")  # a NaN or infinity on one side only
    diff = np.abs(np.where(bad, 0.0, got - want))
    if bundle.pre.task == "regression":
        std = float(bundle.pre.state["target"].get("std") or 1.0)
        diff = np.maximum(diff - 4 * np.finfo(np.float32).eps * np.abs(want), 0.0) / std
    return float(diff.max()) if diff.size else 0.0


def verify(bundle, fmt: str, path, inside: bool, rows: pd.DataFrame | None = None) -> Check:
    """Load the export at ``path`` in ``fmt``'s runtime and score ``rows`` (default:
    :func:`reference_rows`) with it and with the run (``Bundle.output``). Returns the
    :class:`Check`; raises :class:`ExportCheckFailed` with the reason when the file does not
    load or differs by more than :data:`TOLERANCE`."""
    rows = reference_rows(bundle) if rows is None else rows.iloc[:ROWS]
    want = bundle.output(rows)
    key = "prediction" if bundle.pre.task == "regression" else "probabilities"
    feed = _feed(bundle, rows, inside)
    where = RUNTIME[fmt]
    try:
        got = run_artifact(fmt, path, feed, key)
    except Exception as e:  # the runtimes are other projects' code: any failure is theirs
        import logging
        logging.getLogger("kwk").warning("the %s export did not load or run: %s", fmt, e)
        raise ExportCheckFailed(
            f"The {fmt} file was written but does not run in {where}: {type(e).__name__}: "
            f"{_short(e)}", _hint(fmt)) from None
    try:
        diff = compare(bundle, got, want)
    except ValueError as e:
        raise ExportCheckFailed(f"The {fmt} file runs in {where} but gives outputs of another "
                                f"shape than the model ({e}).", _hint(fmt)) from None
    if not diff <= TOLERANCE:
        unit = " of the target's standard deviation" if bundle.pre.task == "regression" else ""
        raise ExportCheckFailed(
            f"The {fmt} file runs in {where} but its predictions differ from the model's by up "
            f"to {diff:.2g}{unit} on {len(rows)} rows (allowed: {TOLERANCE:g}): the converter "
            "changed the network's arithmetic.", _hint(fmt))
    return Check(runtime=where, rows=len(rows), max_diff=diff,
                 regression=bundle.pre.task == "regression")


def _short(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def _hint(fmt: str) -> str:
    other = "The .keras and SavedModel exports carry every layer" if fmt in ("tflite", "onnx") \
        else "The run folder (model.keras and preprocess.json) still works"
    return f"The file was deleted. {other}; please report this model's layers with the message."
