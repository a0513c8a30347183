"""What each export format can carry, in one place: the formulations that make a network
convertible, and the networks refused before any conversion (with the reason and a hint).

Found by the export matrix (``tests/test_export_matrix.py``: every activation and every layer
of the catalog through every format, each loaded in its own runtime and compared with KwK):

- **ONNX** (tf2onnx, opset 15): TensorFlow computes the exact GELU with ``Erfc`` and CELU with
  ``Expm1``, which tf2onnx writes as operators no ONNX runtime has ("No Op registered for Erfc
  with domain_version of 15"); a newer opset does not help (the operators do not exist in any
  opset). :func:`onnx_friendly` rewrites them, for the conversion only, with the same
  mathematics in operators ONNX has: ``0.5·x·(1 + erf(x/√2))`` (``Erf``) and
  ``max(x, 0) + α·(exp(min(x, 0)/α) − 1)`` (``Exp``). The difference is float32 rounding
  (below 1e-6 on the matrix's rows). The image augmentation layers (RandomFlip, …) pass
  pictures through unchanged outside training, but still draw their random numbers
  (``StatelessRandomUniformV2``, which ONNX lacks): for the conversion they become the
  identity they are at prediction time.
- **LiteRT**: a recurrent layer (SimpleRNN, LSTM, GRU, Bidirectional) runs as a loop whose
  state lists the converter leaves as TensorFlow ("Flex") operations, which the LiteRT
  interpreter cannot run ("Select TensorFlow op(s) … not supported by this interpreter").
  :func:`litert_friendly` unrolls the loop (KwK's sequences have a fixed length), which
  converts to built-in operations and gives the same numbers.
- Everything else in the catalog converts to every format and matches within the check's
  tolerance, so :data:`REFUSED` is empty today; a network the check finds wrong is still
  refused after the conversion (see :mod:`kwk.export.verify`). A combination found to fail
  goes into :data:`REFUSED` so the refusal comes first, with its reason.
"""
from __future__ import annotations

from kwk.export.errors import ExportRefused

# (format, "activation" | "layer", name) -> why the format cannot carry it. A layer's name is
# the catalog's (the spec's "type"); an activation's is the catalog's choice.
REFUSED: dict[tuple[str, str, str], str] = {}
HINT = "Export it as .keras or SavedModel (both carry every layer), or change the layer on " \
       "Build and train again."

LABEL = {"keras": ".keras", "savedmodel": "SavedModel", "tflite": "LiteRT", "onnx": "ONNX"}


def _uses(layers: list[dict]):
    """(what, name, place) for every layer type and activation of a stack (1-based places)."""
    for i, layer in enumerate(layers or [], start=1):
        yield "layer", layer.get("type", ""), i
        if layer.get("activation"):
            yield "activation", str(layer["activation"]), i


def refuse_up_front(spec: dict, fmt: str) -> None:
    """Raise :class:`ExportRefused` naming every layer of ``spec`` (the run's resolved spec,
    its branches included) that ``fmt`` cannot carry; nothing when it can carry them all."""
    stacks = [spec.get("layers") or []]
    stacks += [layers for layers in (spec.get("branches") or {}).values()
               if isinstance(layers, list)]
    problems = []
    for layers in stacks:
        for what, name, place in _uses(layers):
            why = REFUSED.get((fmt, what, name))
            if why:
                problems.append(f"layer {place} ({name}"
                                f"{' activation' if what == 'activation' else ''}): {why}")
    if problems:
        raise ExportRefused(f"This network cannot be exported as {LABEL.get(fmt, fmt)}: "
                            + "; ".join(dict.fromkeys(problems)) + ".", HINT)


def _gelu_erf(x, approximate=False):
    """GELU written with ``erf`` (ONNX ``Erf``), as Keras defines it; ``approximate`` as in
    :func:`keras.activations.gelu` (the tanh form converts as it is)."""
    from keras import activations, ops
    if approximate:
        return activations.gelu(x, approximate=True)
    return 0.5 * x * (1.0 + ops.erf(x / 1.4142135623730951))


def _celu_exp(x, alpha=1.0):
    """CELU with ``exp(.) - 1`` in place of ``expm1`` (ONNX has no Expm1)."""
    from keras import ops
    return ops.maximum(x, 0.0) + alpha * (ops.exp(ops.minimum(x, 0.0) / alpha) - 1.0)


def _augmentations() -> set[str]:
    from kwk.catalog.layers import CATALOG
    return {name for name, lt in CATALOG.items() if lt.category == "Image augmentation"}


def _passthrough(inputs, training=None, **kwargs):
    return inputs


def onnx_friendly(model) -> int:
    """Replace, in place, every GELU and CELU activation in ``model`` (any depth: nested
    models, wrapped and recurrent layers) with :func:`_gelu_erf` / :func:`_celu_exp`, and
    every image augmentation layer's call with the identity it is outside training. Only for
    a model that is converted and then dropped: the rewritten model is not saved as Keras.
    Returns how many replacements were made."""
    import keras
    swap = {keras.activations.gelu: _gelu_erf, keras.activations.celu: _celu_exp}
    augment = _augmentations()
    n = 0
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if type(layer).__name__ in augment:
            object.__setattr__(layer, "call", _passthrough)
            n += 1
        for attr in ("activation", "recurrent_activation"):
            if isinstance(getattr(type(layer), attr, None), property):
                continue  # e.g. LSTM.activation reads its cell's, which is visited too
            fn = layer.__dict__.get(attr)
            if fn in swap:
                object.__setattr__(layer, attr, swap[fn])
                n += 1
    return n


def litert_friendly(model) -> int:
    """Unroll, in place, every recurrent layer of ``model`` (any depth), for the LiteRT
    converter; same numbers, a longer graph. Returns how many layers were unrolled."""
    import keras
    n = 0
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, keras.layers.RNN) and not layer.unroll:
            layer.unroll = True
            n += 1
    return n
