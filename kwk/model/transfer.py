"""Start from a trained model (transfer learning): layers that come in with their weights.

A spec layer may carry two optional keys besides its settings:

- ``"weights"``: where its starting weights come from, ``{"file": ".../model.keras", "layer":
  "2_conv2d", "run": "<run id>" or null, "sha256": "<the file's fingerprint>", "input_shape":
  [...], "params": 320}``; ``input_shape`` and ``params`` describe the trained layer, so a layer
  that no longer fits (other columns, other settings) is explained on the Build page, without
  Keras, before anything trains;
- ``"trainable"``: false to keep the layer's weights as they are (frozen) while the layers after
  it learn.

:func:`read_base` lists the layers of a saved Keras model (a run's ``model.keras`` or a file the
user uploads, loaded with ``safe_mode=True``) as spec layers; :func:`reuse` turns the first of
them into spec layers that carry their weights; :func:`kwk.spec.reuse.check_reuse` is the keras-free check and
:func:`copy_weights` puts the weights into a freshly built model (the builder calls it).
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import check_all
from kwk.errors import SpecError
from kwk.spec.reuse import (  # noqa: F401  (the spec's rules for reused layers)
    REF_KEYS, check_reuse, describe_source, normalize_reuse)

def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ----------------------------------------------------------------------------- reading a base
@dataclass
class BaseLayer:
    name: str                 # the layer's name in the file
    keras_class: str
    spec: dict | None         # the spec layer (catalog settings), None when not a KwK brick
    why: str = ""             # why it cannot be reused, when spec is None
    input_shape: list = field(default_factory=list)
    params: int = 0
    output_shape: list = field(default_factory=list)


@dataclass
class Base:
    """The layers of a saved model that can be reused, in order (input side first)."""
    file: str
    sha256: str
    run: str | None
    layers: list[BaseLayer]
    input_shape: list

    @property
    def usable(self) -> int:
        """How many leading layers can be reused (up to the first that is not a KwK brick)."""
        for i, layer in enumerate(self.layers):
            if layer.spec is None:
                return i
        return len(self.layers)


def _plain(v):
    """A Keras config value as a spec value: square windows as one number."""
    if isinstance(v, (list, tuple)) and v and all(x == v[0] for x in v) and isinstance(v[0], int):
        return int(v[0])
    return v


def _penalty(v):
    if not isinstance(v, dict):
        return v
    cfg = v.get("config") or {}
    return {"type": v.get("class_name"), **{k: float(x) for k, x in cfg.items()
                                            if k in ("l1", "l2", "max_value", "min_value",
                                                     "rate")}}


def spec_layer(keras_class: str, cfg: dict) -> tuple[dict | None, str]:
    """The spec layer for a Keras layer's class and config, or (None, why)."""
    lt = CATALOG.get(keras_class)
    if lt is None:
        return None, f"{keras_class} is not one of KwK's layers"
    wraps = lt.extra.get("wraps")
    if wraps:
        inner = cfg.get("layer") or {}
        flat = {**(inner.get("config") or {}), wraps: inner.get("class_name"),
                **{k: cfg[k] for k in lt.extra.get("outer", ()) if k in cfg}}
    else:
        flat = cfg
    out = {"type": keras_class}
    for p in lt.params:
        if p.name not in flat:
            continue
        v = flat[p.name]
        if p.value_type in ("regularizer", "constraint"):
            v = _penalty(v)
        elif p.name.endswith("initializer"):
            # how weights start means nothing for reused weights: KwK's name, or the default
            v = re.sub(r"(?<!^)(?=[A-Z])", "_", (v or {}).get("class_name", "")).lower() \
                if isinstance(v, dict) else v
            v = v if v in p.choices else p.default
        else:
            v = _plain(v)
        out[p.name] = v
    problems = check_all(lt.params, {k: v for k, v in out.items() if k != "type"}, keras_class)
    if problems:
        return None, problems[0]
    return {**lt.defaults(), **out, "type": keras_class}, ""


@functools.lru_cache(maxsize=8)
def _load(path: str, sha: str):
    """The saved model (``sha`` keys the cache on the file's content)."""
    import keras
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as e:  # a corrupt file, an unknown custom layer, a lambda (safe mode)
        raise SpecError(f"The model file {Path(path).name} cannot be read as a Keras model: "
                        f"{type(e).__name__}: {str(e)[:300]}",
                        "Use a .keras file saved by KwK or by keras (model.save('x.keras')); "
                        "files with custom code or Lambda layers are refused for safety.") from None


def read_base(path, run: str | None = None) -> Base:
    """The layers of the saved model at ``path`` as a :class:`Base`. KwK's own input layers
    (names starting "0_": the text vocabulary, the picture reshaping and scaling) and its
    output layer are left out: the new model has its own."""
    path = str(Path(path).resolve())
    if not Path(path).is_file():
        raise SpecError(f"The model file {path} is not there.",
                        "Train the run again, or upload the .keras file.")
    sha = file_sha256(path)
    model = _load(path, sha)
    if any(type(layer).__name__ == "Concatenate" for layer in model.layers) \
            or len(model.inputs) > 1:
        raise SpecError(f"{Path(path).name} reads several inputs (branches joined together); "
                        "reusing its layers is not supported yet.",
                        "Start from a model that reads one kind of data (a table, pictures or "
                        "a text).")
    layers = []
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "InputLayer" or layer.name.startswith("0_") or layer.name == "output":
            continue
        spec, why = spec_layer(cls, layer.get_config())
        try:
            ins = [d if d is None else int(d) for d in layer.input.shape[1:]]
            outs = [d if d is None else int(d) for d in layer.output.shape[1:]]
        except (AttributeError, ValueError):
            ins, outs = [], []
        layers.append(BaseLayer(layer.name, cls, spec, why, ins, int(layer.count_params()), outs))
    try:
        first = [d if d is None else int(d) for d in model.inputs[0].shape[1:]]
    except (AttributeError, IndexError, TypeError):
        first = []
    return Base(path, sha, run, layers, first)


def reuse(base: Base, count: int, trainable: bool = False) -> list[dict]:
    """The first ``count`` layers of ``base`` as spec layers that carry their weights (frozen
    unless ``trainable``)."""
    if not 1 <= count <= base.usable:
        raise SpecError(f"Only the first {base.usable} layer(s) of this model can be reused "
                        f"(asked for {count}).",
                        base.layers[base.usable].why if base.usable < len(base.layers) else "")
    out = []
    for b in base.layers[:count]:
        ref = {"file": base.file, "layer": b.name, "run": base.run, "sha256": base.sha256,
               "input_shape": b.input_shape, "params": b.params}
        out.append({**b.spec, "weights": ref, "trainable": bool(trainable)})
    return out


def base_vocabulary(spec: dict) -> list[str] | None:
    """A text model whose Embedding reuses a trained text model's weights must number the words
    as that model did: its vocabulary (from the trained model's ``0_vectorize`` layer), else
    None (the vocabulary is learned from the training texts)."""
    first = spec["layers"][0] if spec["layers"] else {}
    ref = first.get("weights")
    if not spec["data"].get("text") or first.get("type") != "Embedding" or not ref:
        return None
    if not Path(ref["file"]).is_file():
        return None  # copy_weights explains it
    src = _load(ref["file"], file_sha256(ref["file"]))
    try:
        return [str(w) for w in src.get_layer("0_vectorize").get_vocabulary()]
    except ValueError:  # not a KwK text model: its words were numbered some other way
        return None


def copy_weights(model, spec: dict) -> None:
    """Put the reused weights into ``model`` (built by :func:`kwk.model.builder.build_model`,
    where spec layer ``i`` is named ``f"{i}_{type}"``). Raises SpecError when a file is
    missing or changed, or a layer's weights do not fit."""
    for i, layer in enumerate(spec["layers"], start=1):
        ref = layer.get("weights")
        if not ref:
            continue
        where = f"Layer {i} ({layer['type']})"
        path = ref["file"]
        if not Path(path).is_file():
            raise SpecError(f"{where} takes its weights from {path}, which is not there (a "
                            "deleted run, or a spec from another computer).",
                            "Press 'Train from scratch' on that layer, or bring in the trained "
                            "model again on the Build page.")
        sha = file_sha256(path)
        if ref.get("sha256") and ref["sha256"] != sha:
            raise SpecError(f"{where} takes its weights from {path}, which has changed since it "
                            "was chosen (its fingerprint differs).",
                            "Bring in the trained model again on the Build page, so the spec "
                            "records the file as it is now.")
        src = _load(path, sha)
        try:
            weights = src.get_layer(ref["layer"]).get_weights()
        except ValueError:
            raise SpecError(f"{where}: the file {Path(path).name} has no layer named "
                            f"'{ref['layer']}'.", "Bring in the trained model again.") from None
        target = model.get_layer(f"{i}_{layer['type'].lower()}")
        have = [tuple(w.shape) for w in target.get_weights()]
        got = [tuple(w.shape) for w in weights]
        if have != got:
            raise SpecError(f"{where} reuses the weights of {describe_source(ref)}, shaped "
                            f"{got}, but here it needs {have}.",
                            "Press 'Train from scratch' on this layer, or give it the settings "
                            "and the input of the trained layer.")
        target.set_weights(weights)
