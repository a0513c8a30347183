"""The layer stack against the data: the input shape the first layer receives, the output
layer (units, activation) and loss a task implies, and ``check_stack``, which infers every
layer's shape and parameter count and holds the stack to the parameter budget."""
from __future__ import annotations

import copy
import math

from kwk.catalog.layers import ShapeError, infer_shapes
from kwk.errors import SpecError
from kwk.spec.schema import MAX_PARAMS


def output_units(task: str, n_classes: int) -> int:
    """Units of the output layer: one per class for multiclass, else one."""
    return n_classes if task == "multiclass" else 1


def output_activation(spec: dict) -> str:
    """The output layer's activation; 'auto' follows the (resolved) task."""
    act = spec["output"]["activation"]
    if act != "auto":
        return act
    return {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}[spec["data"]["task"]]


def loss_name(spec: dict) -> str:
    """The Keras loss; 'auto' is the standard loss of the (resolved) task."""
    loss = spec["training"]["loss"]
    if loss != "auto":
        return loss
    return {"binary": "binary_crossentropy", "multiclass": "sparse_categorical_crossentropy",
            "regression": "mean_squared_error"}[spec["data"]["task"]]


def input_shape(spec: dict, n_inputs: int) -> tuple:
    """The shape the first layer receives: an image, a window of rows (steps, columns), the
    word numbers of a text, or a flat row of ``n_inputs`` values."""
    d = spec["data"]
    if d.get("image_shape"):
        image = tuple(d["image_shape"])
        if math.prod(image) != n_inputs:
            raise SpecError(f"data.image_shape {list(image)} holds {math.prod(image):,} values "
                            f"but the data has {n_inputs:,} inputs.", "Correct the image shape.")
        return image
    if d.get("sequence"):
        w = d["sequence"]["window"]
        if n_inputs % w:
            raise SpecError(f"{n_inputs} window inputs do not split into {w} steps.")
        return (w, n_inputs // w)
    if d.get("text"):
        return (d["text"]["sequence_length"],)
    return (n_inputs,)


def check_stack(spec: dict, n_inputs: int, n_classes: int = 1) -> list[dict]:
    """Shapes and parameter counts of every layer including the output layer, checked against
    the parameter budget. Returns a list of ``{"name", "shape", "params"}`` rows (input first)."""
    layers = copy.deepcopy(spec["layers"])
    task = spec["data"]["task"] if spec["data"]["task"] != "auto" else "regression"
    out_layer = {"type": "Dense", "units": output_units(task, n_classes),
                 "activation": output_activation({**spec, "data": {**spec["data"], "task": task}})}
    start = input_shape(spec, n_inputs)
    _check_embedding(layers, spec["data"].get("text") is not None)
    try:
        rows = infer_shapes(start, layers)
    except ShapeError as e:
        raise SpecError(str(e)) from None
    last = rows[-1]["shape"] if rows else start
    _check_flat_end(layers, tuple(last))
    rows += infer_shapes(last, [out_layer])
    table = [{"name": "Input", "shape": start, "params": 0}]
    for i, (layer, r) in enumerate(zip(layers + [out_layer], rows), start=1):
        label = f"{i} · {layer['type']}" if i <= len(layers) else "Output · Dense"
        table.append({"name": label, **r})
    from kwk.model.transfer import check_reuse
    check_reuse(layers, table)  # layers that reuse trained weights must still fit them
    total = sum(r["params"] for r in table)
    if total > MAX_PARAMS:
        big = max(table, key=lambda r: r["params"])
        raise SpecError(f"The network would have {total:,} weights; the limit is "
                        f"{MAX_PARAMS:,}. The biggest is {big['name']} with {big['params']:,}.",
                        "Use fewer units in the large layers.")
    for r in table:
        if not all(isinstance(d, int) and d > 0 for d in r["shape"]) or math.prod(r["shape"]) <= 0:
            raise SpecError(f"{r['name']} would output an empty shape {r['shape']}.")
    return table


def _check_embedding(layers: list[dict], text: bool) -> None:
    """An Embedding reads word numbers: it needs text data, and a text model starts with one."""
    embeddings = [i for i, layer in enumerate(layers, start=1) if layer["type"] == "Embedding"]
    if not text and embeddings:
        raise SpecError(f"Layer {embeddings[0]} (Embedding) turns word numbers into vectors, so "
                        "it needs text data.", "Remove it, or choose a text column as the input "
                        "(data.text).")
    if text and embeddings[:1] != [1]:
        raise SpecError("A text model starts with an Embedding layer: it turns each word "
                        "number into a vector the next layers can learn from.",
                        "Add an Embedding layer at the top of the stack (the 'Embedding + GRU "
                        "(text)' template is a good start)." if not embeddings else
                        f"Move the Embedding (now layer {embeddings[0]}) to the top.")


def _check_flat_end(layers: list[dict], last: tuple) -> None:
    """The output layer reads a flat vector: the stack must not end on a sequence or an image
    (``last`` is the last layer's output shape, without the batch dimension)."""
    if len(last) == 1:
        return
    where = f"Layer {len(layers)} ({layers[-1]['type']})" if layers else "The input"
    if len(last) == 2:
        raise SpecError(f"{where} outputs {last}, a sequence (steps, features), but "
                        "the output layer needs a flat vector.",
                        "End the stack with a recurrent layer without return_sequences, or "
                        "add GlobalAveragePooling1D or Flatten at the end.")
    raise SpecError(f"{where} outputs {last}, an image, but the output layer needs a "
                    "flat vector.", "Add Flatten or GlobalAveragePooling2D at the end of "
                    "the stack.")
