"""The spec's rules for a layer that starts from trained weights (transfer learning): its
``weights`` and ``trainable`` keys (:func:`normalize_reuse`, called by
:func:`kwk.spec.schema.normalize`) and whether the trained weights still fit the layer here
(:func:`check_reuse`, called by :func:`kwk.spec.stack.check_stack`), both without Keras.
Reading a saved model and copying its weights is :mod:`kwk.model.transfer`.
"""
from __future__ import annotations

from pathlib import Path

from kwk.errors import SpecError

REF_KEYS = ("file", "layer", "run", "sha256", "input_shape", "params")


def normalize_reuse(layer: dict, where: str, problems: list[str]) -> dict:
    """The ``weights`` and ``trainable`` keys of one spec layer, checked; returns them (only the
    ones given) and appends problems. Called by :func:`kwk.spec.schema.normalize`."""
    out = {}
    if "trainable" in layer:
        if isinstance(layer["trainable"], bool):
            out["trainable"] = layer["trainable"]
        else:
            problems.append(f"{where}: 'trainable' must be true or false, got "
                            f"{layer['trainable']!r}.")
    ref = layer.get("weights")
    if ref is None:
        return out
    if not isinstance(ref, dict):
        problems.append(f"{where}: 'weights' must be an object like {{\"file\": \"model.keras\", "
                        "\"layer\": \"1_dense\"}, or null.")
        return out
    bad = [k for k in ref if k not in REF_KEYS]
    if bad:
        problems.append(f"{where}: unknown key(s) {', '.join(map(repr, bad))} in 'weights'. "
                        f"Allowed: {', '.join(REF_KEYS)}.")
    for k in ("file", "layer"):
        if not isinstance(ref.get(k), str) or not ref.get(k):
            problems.append(f"{where}: weights.{k} must name the {'saved model file' if k == 'file' else 'layer in that file'}.")
    for k in ("run", "sha256"):
        if ref.get(k) is not None and not isinstance(ref[k], str):
            problems.append(f"{where}: weights.{k} must be text or null.")
    shape = ref.get("input_shape")
    if shape is not None and not (isinstance(shape, list) and all(
            d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape)):
        problems.append(f"{where}: weights.input_shape must be a list of whole numbers.")
    n = ref.get("params")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        problems.append(f"{where}: weights.params must be a whole number ≥ 0.")
    out["weights"] = {k: ref.get(k) for k in REF_KEYS}
    return out


def describe_source(ref: dict) -> str:
    """"layer 2_conv2d of run 3f9a…" or "layer dense_1 of base.keras"."""
    where = f"run {ref['run']}" if ref.get("run") else Path(ref["file"]).name
    return f"layer '{ref['layer']}' of {where}"


def check_reuse(layers: list[dict], rows: list[dict]) -> None:
    """Keras-free check that every layer with reused weights still fits them. ``rows``: the
    shape table of :func:`kwk.spec.stack.check_stack` (input first, one row per layer). Raises
    SpecError naming the layer, what differs and how to fix it."""
    for i, layer in enumerate(layers, start=1):
        ref = layer.get("weights")
        if not ref or ref.get("params") is None or rows[i]["params"] == ref["params"]:
            continue
        where = f"Layer {i} ({layer['type']})"
        was, now = ref.get("input_shape") or [], list(rows[i - 1]["shape"])
        fix = ("Press 'Train from scratch' on this layer (it keeps its settings and learns new "
               "weights), or remove it and the reused layers after it.")
        if was and now and was[-1] is not None and was[-1] != now[-1]:
            what = ("values per row" if len(now) == 1 else "channels" if len(now) == 3
                    else "features per step")
            raise SpecError(
                f"{where} reuses the weights of {describe_source(ref)}, which read {was[-1]} "
                f"{what}; here it receives {now[-1]} (input shape {tuple(now)} instead of "
                f"{tuple(was)}), so the trained weights do not fit.",
                fix + " Data with the same columns (or pictures with the same colour channels) "
                "as the trained model fits them as they are.")
        raise SpecError(
            f"{where} reuses the weights of {describe_source(ref)}, which has "
            f"{ref['params']:,} weights; with its settings here it would have "
            f"{rows[i]['params']:,}, so the trained weights do not fit.",
            "Set its settings (units, filters, window size) back to those of the trained "
            "layer, or " + fix[0].lower() + fix[1:])
