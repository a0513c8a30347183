"""spec (+ fitted preprocessing) -> ``keras.Model`` (functional API).

Keras is imported inside the functions, so importing this module is cheap.
"""
from __future__ import annotations

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import constraint_args, penalty_args
from kwk.devices import (  # noqa: F401  (the builder's names; the hardware question lives there)
    MIXED_PRECISION_NOTE, gpus, mixed_precision_policy, training_device)
from kwk.spec import check_stack, loss_name, output_activation, output_units


def layer_kwargs(layer: dict) -> dict:
    """Keyword arguments for the Keras layer class, with regularizer/constraint objects built.
    Only values that differ from the catalog default are passed (Keras defaults match)."""
    import keras
    lt = CATALOG[layer["type"]]
    kw = {}
    for p in lt.params:
        v = layer.get(p.name, p.default)
        if p.value_type == "regularizer":
            if v is not None:
                kw[p.name] = getattr(keras.regularizers, v["type"])(**penalty_args(v))
        elif p.value_type == "constraint":
            if v is not None:
                kw[p.name] = getattr(keras.constraints, v["type"])(**constraint_args(v))
        else:
            kw[p.name] = v
    return kw


def make_layer(layer: dict, name: str | None = None, dtype: str | None = None):
    """The Keras layer for one spec layer; wrappers (Bidirectional) build their inner layer.
    ``dtype`` is a dtype policy for this layer alone (e.g. "mixed_float16"), None for Keras's
    default."""
    import keras
    lt = CATALOG[layer["type"]]
    kw = layer_kwargs(layer)
    policy = {} if dtype is None else {"dtype": dtype}
    if layer.get("trainable") is False:  # frozen: its (reused) weights stay as they are
        policy["trainable"] = False
    wraps = lt.extra.get("wraps")
    if wraps:
        outer = {k: kw.pop(k) for k in lt.extra.get("outer", ())}
        inner = getattr(keras.layers, kw.pop(wraps))(**kw, **policy)
        return getattr(keras.layers, lt.name)(inner, **outer, name=name, **policy)
    return getattr(keras.layers, lt.name)(**kw, name=name, **policy)


def pixel_scale(pixels) -> tuple[float, float]:
    """Mean and spread of all training pixels (one number each), for the picture models'
    Rescaling layer. Copied verbatim into the generated script, which computes the same two
    numbers."""
    import numpy as np
    return float(np.mean(pixels, dtype=np.float64)), float(np.std(pixels, dtype=np.float64)) or 1.0


def build_model(spec: dict, n_inputs: int, n_classes: int = 1, adapt=None):
    """Build the (uncompiled) model for a resolved spec. Raises SpecError for impossible
    stacks (checked first, without Keras). A text model learns its vocabulary from ``adapt``
    (the training texts); a picture model takes its pixel scale from it (the training
    pixels)."""
    shapes = check_stack(spec, n_inputs, n_classes)
    import keras
    d = spec["data"]
    if spec.get("branches"):
        inputs = keras.Input(shape=(n_inputs,), name="features")
        x = _branches(spec, inputs, n_inputs, adapt)
    elif d.get("text"):  # raw strings in: the model itself turns them into word numbers
        if adapt is None:
            raise ValueError("a text model needs its training texts to learn the vocabulary")
        inputs = keras.Input(shape=(1,), dtype="string", name="text")
        from kwk.model.transfer import base_vocabulary
        vocabulary = base_vocabulary(spec)  # a reused text encoder keeps its word numbers
        vectorize = keras.layers.TextVectorization(
            max_tokens=None if vocabulary else d["text"]["max_tokens"],
            output_sequence_length=d["text"]["sequence_length"], name="0_vectorize",
            vocabulary=vocabulary)
        from kwk.prep.preprocess import model_input
        if vocabulary is None:
            vectorize.adapt(model_input(adapt))
        x = vectorize(inputs)
    else:
        inputs = keras.Input(shape=(n_inputs,), name="features")
        x = inputs
    if spec.get("branches"):
        pass  # each branch shaped its own input above
    elif d.get("image_shape") or d.get("sequence"):
        # pixel columns -> pictures, window rows -> (steps, columns): inside the model, so it
        # takes the rows as they are
        name = "0_image" if d.get("image_shape") else "0_window"
        x = keras.layers.Reshape(tuple(shapes[0]["shape"]), name=name)(x)
    if d.get("image_shape") and not spec.get("branches"):
        # Pictures are scaled inside the model, with the training pixels' mean and spread:
        # the saved model takes raw pixel values (0-255, or whatever the pixel columns hold).
        if adapt is None:
            raise ValueError("a picture model needs its training pixels to set its scale")
        mean, std = pixel_scale(adapt)
        x = keras.layers.Rescaling(1.0 / std, offset=-mean / std, name="0_rescale")(x)
    # Explicit names: Keras's automatic names come from per-thread counters, which collide when
    # models are built in a fresh training thread of a long-lived server ("dense" used twice).
    # Mixed precision is set per layer (a global policy would reach every model of the
    # server's process); the output layer stays float32 so probabilities and the loss are
    # computed accurately.
    policy = mixed_precision_policy(spec["training"])
    for i, layer in enumerate(spec["layers"], start=1):
        x = make_layer(layer, name=f"{i}_{layer['type'].lower()}", dtype=policy)(x)
    task = spec["data"]["task"]
    outputs = keras.layers.Dense(output_units(task, n_classes),
                                 activation=output_activation(spec), name="output",
                                 **({"dtype": "float32"} if policy else {}))(x)
    model = keras.Model(inputs, outputs, name="kwk_model")
    if any(layer.get("weights") for layer in spec["layers"]):  # start from a trained model
        from kwk.model.transfer import copy_weights
        copy_weights(model, spec)
    return model


def columns(x, start: int, stop: int, total: int, name: str):
    """Columns ``start:stop`` of a batch of rows ``x`` (width ``total``), with Keras's own
    layers only (a saved model loads in safe mode, without custom code): the row as a
    sequence of single values, cropped at both ends, flattened back."""
    import keras
    if (start, stop) == (0, total):
        return x
    x = keras.layers.Reshape((total, 1), name=f"{name}_as_sequence")(x)
    x = keras.layers.Cropping1D((start, total - stop), name=f"{name}_columns")(x)
    return keras.layers.Reshape((stop - start,), name=f"{name}_values")(x)


def _branches(spec: dict, inputs, n_inputs: int, adapt):
    """A mixed-input model: each branch takes its columns of the encoded row and runs its own
    layers (pictures reshaped and scaled first); the branches' outputs are joined."""
    import keras
    from kwk.spec.stack import branch_slices
    policy = mixed_precision_policy(spec["training"])
    outs = []
    for b, (a, z) in branch_slices(spec, n_inputs).items():
        x = columns(inputs, a, z, n_inputs, f"0_{b}")
        if b == "image":
            if adapt is None:
                raise ValueError("a picture branch needs its training pixels to set its scale")
            mean, std = pixel_scale(adapt[:, a:z])
            x = keras.layers.Reshape(tuple(spec["data"]["image_shape"]), name="0_image")(x)
            x = keras.layers.Rescaling(1.0 / std, offset=-mean / std, name="0_rescale")(x)
        for i, layer in enumerate(spec["branches"][b], start=1):
            x = make_layer(layer, name=f"{b}_{i}_{layer['type'].lower()}", dtype=policy)(x)
        outs.append(x)
    return keras.layers.Concatenate(name="0_merge")(outs)


def uses_mixed_precision(model) -> bool:
    """Whether any layer of ``model`` computes in float16 (see :func:`build_model`)."""
    return any(getattr(getattr(layer, "dtype_policy", None), "name", "") == "mixed_float16"
               for layer in model.layers)


def make_optimizer(training: dict, steps_per_epoch: int):
    """The spec's optimizer (with its learning-rate schedule) for ``steps_per_epoch`` batches
    per epoch, built from :func:`kwk.model.recipe.optimizer_recipe`, the description the
    generated script is written from too."""
    import types

    from kwk.model.recipe import build, optimizer_recipe
    optimizer = build(optimizer_recipe(training, steps_per_epoch))
    optimizer._all_reduce_sum_gradients = types.MethodType(_sum_over_replicas, optimizer)
    return optimizer


def _sum_over_replicas(optimizer, grads_and_vars):
    """Keras's TensorFlow optimizer sums each step's gradients over the replicas of a
    distribution strategy, even when there is none. That sum is an identity op with a custom
    gradient, and TensorFlow registers each traced custom gradient in a global registry that
    is never emptied; the registered function holds the whole traced training step. So every
    model trained in the app's process kept about 5 MB for the life of the server (a tune of 20
    trials, 100 MB). Outside a strategy the sum over one replica is the gradients themselves:
    they are returned as they are (the same weights, bit for bit); inside one (headless
    distributed training) Keras sums them as before."""
    import tensorflow as tf
    if not tf.distribute.has_strategy():
        return list(grads_and_vars)
    return type(optimizer)._all_reduce_sum_gradients(optimizer, grads_and_vars)


#: Seconds one compiled call may run: the live progress moves, and the stop button is seen,
#: after each call.
CALL_SECONDS = 0.1
#: The most training steps one call runs.
MAX_STEPS_PER_CALL = 64
#: A cautious estimate of one step's cost on a CPU: a fixed part, plus multiply-adds (three per
#: weight use: the forward pass and the two products of the backward pass) at a slow rate.
#: Measured on 2 cores: 5 GMAC/s for an LSTM, 20-28 for a CNN and a wide dense network, and a
#: small dense network's step is mostly its fixed part (0.5 ms); the rate below over-estimates
#: the cost, which only means fewer steps per call (``bench/bench_steps_per_call.py``).
STEP_OVERHEAD_SECONDS = 0.5e-3
MACS_PER_SECOND = 4e9


def multiply_adds_per_row(model) -> int:
    """About how many multiply-adds the forward pass of ``model`` spends on one row: each
    layer's weights times the positions (time steps, pixels) it is applied at. A lookup table
    (Embedding) costs one vector per position. Nested models (a pretrained base) are walked."""
    import math

    import keras
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += multiply_adds_per_row(layer)
            continue
        weights = sum(math.prod(w.shape) for w in layer.weights)
        if not weights:
            continue
        shapes = [tuple(t.shape) for t in (layer.input, layer.output)]
        positions = max(math.prod(d or 1 for d in s[1:-1]) if len(s) > 2 else 1 for s in shapes)
        if isinstance(layer, keras.layers.Embedding):
            weights = layer.output_dim
        total += int(weights) * int(positions)
    return total


def steps_per_execution(model, steps_per_epoch: int, batch_size: int) -> int:
    """Training steps Keras runs per call into its compiled graph. The small networks KwK
    trains spend most of each step in Python and TensorFlow's fixed per-call work; running
    several steps per call is faster and gives the same weights (the batches and their order
    do not change). A call is kept to about :data:`CALL_SECONDS` by an estimate of the step's
    cost (:func:`multiply_adds_per_row`), so the live progress keeps moving and Stop answers
    on big pictures and long sequences."""
    try:
        macs = multiply_adds_per_row(model)
    except (AttributeError, ValueError):  # a layer without a known shape: one step per call
        return 1
    step = STEP_OVERHEAD_SECONDS + 3 * batch_size * macs / MACS_PER_SECOND
    return int(max(1, min(MAX_STEPS_PER_CALL, steps_per_epoch, CALL_SECONDS // step)))


def compile_model(model, spec: dict, steps_per_epoch: int, fused: bool = False) -> None:
    """Compile with the spec's optimizer, loss and metrics. ``fused`` lets ``model.fit`` run
    several steps per call (see :func:`steps_per_execution`); leave it off for
    ``train_on_batch``."""
    metrics = ["accuracy"] if spec["data"]["task"] != "regression" else []
    optimizer = make_optimizer(spec["training"], steps_per_epoch)
    if uses_mixed_precision(model):  # float16 gradients underflow without loss scaling
        import keras
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer,
                  loss=loss_name(spec), metrics=metrics,
                  steps_per_execution=(steps_per_execution(model, steps_per_epoch,
                                                           spec["training"]["batch_size"])
                                       if fused else 1))


def build_training_state(model, x, y) -> None:
    """Create the optimizer's and the compiled metrics' variables now, from one row of the
    training inputs ``x`` and targets ``y``. Keras creates them inside the first training
    step otherwise, and TensorFlow traces a function that creates variables on its first call
    a second time (about half of the first epoch's fixed cost on a small table). The metrics
    are reset afterwards; ``fit`` resets them at each epoch anyway."""
    from kwk.prep.preprocess import model_input
    if getattr(model, "optimizer", None) is None:  # not compiled: a custom step's own
        return
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    first = model_input(x[:1])
    model.compute_metrics(first, y[:1], model(first, training=False), sample_weight=None)
    model.reset_metrics()
