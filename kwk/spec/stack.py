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
    if spec.get("branches"):  # a mixed-input model reads the encoded row, split by branch
        return (n_inputs,)
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


def branch_slices(spec: dict, n_inputs: int) -> dict[str, tuple[int, int]]:
    """A mixed-input model: where each branch's values lie in the encoded row, ``{branch:
    (start, stop)}`` in the order table, text, image (the order of the encoded columns). The
    text takes ``sequence_length`` word numbers, the image its pixels, the table the rest."""
    d = spec["data"]
    fixed = {"text": d["text"]["sequence_length"] if d.get("text") else 0,
             "image": math.prod(d["image_shape"]) if d.get("image_shape") else 0}
    widths = {b: fixed.get(b, 0) for b in spec["branches"]}
    if "table" in widths:
        widths["table"] = n_inputs - sum(w for b, w in widths.items() if b != "table")
    out, j = {}, 0
    for b in ("table", "text", "image"):
        if b in widths:
            out[b] = (j, j + widths[b])
            j += widths[b]
    if j != n_inputs or any(z < a for a, z in out.values()):
        raise SpecError(f"The branches read {j:,} values per row but the data gives "
                        f"{n_inputs:,}.", "Check data.text.sequence_length and "
                        "data.image_shape against the columns.")
    return out


def branch_start(spec: dict, branch: str, width: int) -> tuple:
    """The shape a branch's first layer receives: the pictures, the word numbers, the row."""
    if branch == "image":
        return tuple(spec["data"]["image_shape"])
    return (width,)


def _check_branches(spec: dict, n_inputs: int) -> tuple[list[dict], tuple]:
    """The rows of every branch's layers and the merged shape (a mixed-input model)."""
    table, merged = [], 0
    for b, (a, z) in branch_slices(spec, n_inputs).items():
        if z <= a:
            raise SpecError("The table branch has no columns left besides the text and the "
                            "pixels.", "Remove the table branch, or give it columns.")
        layers = copy.deepcopy(spec["branches"][b])
        start = branch_start(spec, b, z - a)
        if b == "text":
            _check_embedding(layers, True)
        elif any(layer["type"] == "Embedding" for layer in layers):
            _check_embedding(layers, False)
        try:
            rows = infer_shapes(start, layers)
        except ShapeError as e:
            raise SpecError(f"The {b} branch: {e}") from None
        last = tuple(rows[-1]["shape"]) if rows else start
        try:
            _check_flat_end(layers, last)
        except SpecError as e:
            raise SpecError(f"The {b} branch: {e.message} Its output is joined with the "
                            "other branches as a flat vector.", e.hint) from None
        table.append({"name": f"{b} input", "shape": start, "params": 0, "branch": b})
        for i, (layer, r) in enumerate(zip(layers, rows), start=1):
            table.append({"name": f"{b} {i} · {layer['type']}", **r, "branch": b})
        merged += last[0]
    table.append({"name": "Merge · Concatenate", "shape": (merged,), "params": 0})
    return table, (merged,)


def check_stack(spec: dict, n_inputs: int, n_classes: int = 1) -> list[dict]:
    """Shapes and parameter counts of every layer including the output layer, checked against
    the parameter budget. Returns a list of ``{"name", "shape", "params"}`` rows (input first;
    a mixed-input model lists each branch, then the merge, then the layers after it)."""
    layers = copy.deepcopy(spec["layers"])
    task = spec["data"]["task"] if spec["data"]["task"] != "auto" else "regression"
    out_layer = {"type": "Dense", "units": output_units(task, n_classes),
                 "activation": output_activation({**spec, "data": {**spec["data"], "task": task}})}
    head = []
    if spec.get("branches"):
        head, start = _check_branches(spec, n_inputs)
        _check_embedding(layers, False)
    else:
        start = input_shape(spec, n_inputs)
        _check_embedding(layers, spec["data"].get("text") is not None)
    try:
        rows = infer_shapes(start, layers)
    except ShapeError as e:
        raise SpecError(str(e)) from None
    last = rows[-1]["shape"] if rows else start
    _check_flat_end(layers, tuple(last))
    rows += infer_shapes(last, [out_layer])
    table = head or [{"name": "Input", "shape": start, "params": 0}]
    for i, (layer, r) in enumerate(zip(layers + [out_layer], rows), start=1):
        label = f"{i} · {layer['type']}" if i <= len(layers) else "Output · Dense"
        table.append({"name": label, **r})
    from kwk.spec.reuse import check_reuse
    # layers that reuse trained weights must still fit them (after the merge, if any)
    check_reuse(layers, table[len(head) - 1 if head else 0:])
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
