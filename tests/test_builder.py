"""The layer catalog agrees with Keras: every choice is accepted, every parameter count and
output shape matches, and the code generator writes the same layer the builder builds."""
import numpy as np
import pytest

from kwk.model.builder import build_model, layer_kwargs
from kwk.codegen import layer_code
from kwk.catalog.layers import ACTIVATIONS, CATALOG, INITIALIZERS
from kwk.spec import check_stack, normalize

keras = pytest.importorskip("keras")


def test_every_activation_and_initializer_exists_in_keras():
    for a in ACTIVATIONS:
        assert keras.activations.get(a) is not None, a
    for i in INITIALIZERS:
        assert keras.initializers.get(i) is not None, i


LAYER_CASES = [
    {"type": "Dense", "units": 7, "activation": "tanh"},
    {"type": "Dense", "units": 5, "use_bias": False, "kernel_initializer": "he_normal",
     "kernel_regularizer": {"type": "L1L2", "l1": 0.001, "l2": 0.01},
     "bias_regularizer": {"type": "L2", "l2": 0.1},
     "activity_regularizer": {"type": "L1", "l1": 0.001},
     "kernel_constraint": {"type": "MaxNorm", "max_value": 2.0},
     "bias_constraint": {"type": "NonNeg"}},
    {"type": "Dense", "units": 3, "kernel_constraint": {"type": "MinMaxNorm", "min_value": 0.1,
                                                         "max_value": 1.5, "rate": 0.9}},
    {"type": "Dropout", "rate": 0.3}, {"type": "GaussianDropout", "rate": 0.1},
    {"type": "AlphaDropout", "rate": 0.1}, {"type": "GaussianNoise", "stddev": 0.2},
    {"type": "BatchNormalization", "momentum": 0.9, "center": False},
    {"type": "LayerNormalization", "scale": False}, {"type": "Activation", "activation": "selu"},
]
IMAGE_CASES = [
    {"type": "Conv2D", "filters": 5, "kernel_size": 3, "activation": "relu"},
    {"type": "Conv2D", "filters": 4, "kernel_size": 2, "strides": 2, "padding": "same",
     "use_bias": False, "kernel_regularizer": {"type": "L2", "l2": 0.01}},
    {"type": "SeparableConv2D", "filters": 6, "kernel_size": 3, "padding": "same"},
    {"type": "MaxPooling2D", "pool_size": 2}, {"type": "MaxPooling2D", "pool_size": 3, "padding": "same"},
    {"type": "AveragePooling2D", "pool_size": 2}, {"type": "GlobalAveragePooling2D"},
    {"type": "GlobalMaxPooling2D"}, {"type": "Flatten"}, {"type": "Reshape", "target_shape": [32, 4]},
    {"type": "SpatialDropout2D", "rate": 0.2}, {"type": "RandomFlip", "mode": "horizontal"},
    {"type": "RandomRotation", "factor": 0.2}, {"type": "RandomZoom", "height_factor": 0.2},
    {"type": "RandomContrast", "factor": 0.3},
]


SEQUENCE_CASES = [
    {"type": "SimpleRNN", "units": 5}, {"type": "LSTM", "units": 6, "return_sequences": True},
    {"type": "GRU", "units": 4, "dropout": 0.1, "recurrent_dropout": 0.1, "activation": "relu"},
    {"type": "Bidirectional", "layer": "LSTM", "units": 3, "return_sequences": True},
    {"type": "Bidirectional", "layer": "GRU", "units": 4, "merge_mode": "sum"},
    {"type": "Conv1D", "filters": 5, "kernel_size": 3, "padding": "same"},
    {"type": "MaxPooling1D", "pool_size": 2}, {"type": "AveragePooling1D", "pool_size": 3},
    {"type": "GlobalMaxPooling1D"}, {"type": "GlobalAveragePooling1D"},
    {"type": "TimeDistributed", "layer": "Dense", "units": 7, "activation": "tanh"},
]
TEXT_CASES = [{"type": "Embedding", "input_dim": 50, "output_dim": 6},
              {"type": "Embedding", "input_dim": None, "output_dim": 4, "mask_zero": True}]


def test_cases_cover_the_catalog():
    assert {c["type"] for c in LAYER_CASES + IMAGE_CASES + SEQUENCE_CASES + TEXT_CASES} == set(CATALOG)


@pytest.mark.parametrize("layer", SEQUENCE_CASES, ids=lambda c: c["type"] + str(len(c)))
def test_sequence_layer_matches_keras(layer):
    """On 8 steps of 16 features: 128 columns reshaped inside the model."""
    stack = [{"type": "Reshape", "target_shape": [8, 16]}, layer, {"type": "Flatten"}]
    spec = normalize({"data": {"target": "y", "task": "regression"}, "layers": stack})
    model = build_model(spec, 128)
    built = model.get_layer(f"2_{layer['type'].lower()}")
    rows = check_stack(spec, 128)
    assert rows[2]["params"] == built.count_params(), layer
    assert rows[2]["shape"] == tuple(built.output.shape[1:])
    assert sum(r["params"] for r in rows) == model.count_params()
    code = layer_code(spec["layers"][1])
    made = eval(code, {"layers": keras.layers, "keras": keras})
    made.build((None, 8, 16))
    c1 = {k: v for k, v in built.get_config().items() if k != "name"}
    c2 = {k: v for k, v in made.get_config().items() if k != "name"}
    for c in (c1, c2):  # the wrapped layer's own (automatic) names differ
        for key in ("layer", "backward_layer"):
            if isinstance(c.get(key), dict):
                c[key]["config"].pop("name", None)
    assert c1 == c2, code


@pytest.mark.parametrize("layer", TEXT_CASES, ids=lambda c: str(c["input_dim"]))
def test_text_model_matches_keras(layer):
    """Raw strings in: TextVectorization learns the vocabulary, Embedding (its size filled in
    from data.text when empty) and a GRU; shapes, weights and generated code agree."""
    import numpy as np

    from kwk.prep.preprocess import model_input
    texts = np.array([["the cat sat"], ["a dog ran far"], ["the dog sat down"]] * 4, dtype=object)
    spec = normalize({"data": {"target": "y", "task": "multiclass",
                               "text": {"max_tokens": 50, "sequence_length": 6}},
                      "layers": [layer, {"type": "GRU", "units": 3}]})
    model = build_model(spec, 1, 3, adapt=texts)
    rows = check_stack(spec, 1, 3)
    assert rows[1]["shape"] == (6, layer["output_dim"])
    assert sum(r["params"] for r in rows) == model.count_params()
    assert model.predict(model_input(texts[:2]), verbose=0).shape == (2, 3)
    code = layer_code({**spec["layers"][0], "input_dim": spec["layers"][0]["input_dim"] or 50})
    made = eval(code, {"layers": keras.layers, "keras": keras})
    built = model.get_layer("1_embedding")
    c1 = {k: v for k, v in built.get_config().items() if k != "name"}
    c2 = {k: v for k, v in made.get_config().items() if k != "name"}
    assert c1 == c2, code


def test_text_stack_errors_name_the_fix():
    from kwk.errors import SpecError
    text = {"max_tokens": 100, "sequence_length": 10}
    with pytest.raises(SpecError, match="starts with an Embedding layer"):
        check_stack(normalize({"data": {"target": "y", "task": "binary", "text": text},
                               "layers": [{"type": "Dense", "units": 4}]}), 1)
    with pytest.raises(SpecError, match="Move the Embedding"):
        check_stack(normalize({"data": {"target": "y", "task": "binary", "text": text},
                               "layers": [{"type": "Dropout", "rate": 0.1},
                                          {"type": "Embedding", "output_dim": 4},
                                          {"type": "GlobalAveragePooling1D"}]}), 1)
    with pytest.raises(SpecError, match="needs text data"):
        check_stack(normalize({"data": {"target": "y", "task": "binary"},
                               "layers": [{"type": "Embedding", "input_dim": 10}]}), 5)
    with pytest.raises(SpecError, match="a sequence .steps, features."):
        check_stack(normalize({"data": {"target": "y", "task": "binary", "text": text},
                               "layers": [{"type": "Embedding", "output_dim": 4}]}), 1)


def test_the_issue_s_sequence_message():
    from kwk.errors import SpecError
    spec = normalize({"data": {"target": "y", "task": "regression"},
                      "layers": [{"type": "Reshape", "target_shape": [8, 4]},
                                 {"type": "LSTM", "units": 32}, {"type": "LSTM", "units": 8}]})
    with pytest.raises(SpecError) as e:
        check_stack(spec, 32)
    assert ("Layer 3 (LSTM): LSTM needs a sequence (timesteps, features) but receives (32,): "
            "remove the Flatten (or global pooling) above it, set return_sequences on the "
            "previous recurrent layer") in str(e.value)
    assert layer_code({"type": "Bidirectional", "layer": "GRU", "units": 8, "return_sequences": True}) \
        == "layers.Bidirectional(layers.GRU(8, return_sequences=True))"


@pytest.mark.parametrize("layer", IMAGE_CASES, ids=lambda c: c["type"])
def test_image_layer_matches_keras(layer):
    """On 8x8x2 pictures given as 128 pixel columns (the model reshapes them first)."""
    stack = [layer] + ([{"type": "Flatten"}] if layer["type"] not in
                       ("Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D") else [])
    spec = normalize({"data": {"target": "y", "task": "regression", "image_shape": [8, 8, 2]},
                      "layers": stack})
    pixels = np.random.default_rng(0).integers(0, 256, (20, 128)).astype("float32")
    model = build_model(spec, 128, adapt=pixels)
    scale = model.get_layer("0_rescale")  # raw pixels in: scaled by the model itself
    assert scale.scale == pytest.approx(1 / pixels.std()) and \
        scale.offset == pytest.approx(-pixels.mean() / pixels.std())
    built = model.get_layer(f"1_{layer['type'].lower()}")
    rows = check_stack(spec, 128)
    assert rows[0]["shape"] == (8, 8, 2)
    assert rows[1]["params"] == built.count_params()
    assert rows[1]["shape"] == tuple(built.output.shape[1:])
    assert sum(r["params"] for r in rows) == model.count_params()
    code = layer_code(spec["layers"][0])
    made = eval(code, {"layers": keras.layers, "keras": keras})
    made.build((None, 8, 8, 2))
    c1 = {k: v for k, v in built.get_config().items() if k not in ("name", "seed")}
    c2 = {k: v for k, v in made.get_config().items() if k not in ("name", "seed")}
    assert c1 == c2, code


@pytest.mark.parametrize("stack,message", [
    ([{"type": "Flatten"}, {"type": "Conv2D"}],
     "Conv2D needs an image (height, width, channels) but receives (128,)"),
    ([{"type": "Conv2D", "kernel_size": 9}], "smaller than the 9×9 kernel"),
    ([{"type": "MaxPooling2D", "pool_size": 2}] * 4, "smaller than the 2×2 pool"),
    ([{"type": "Conv2D"}], "Add Flatten or GlobalAveragePooling2D at the end"),
    ([{"type": "Reshape", "target_shape": [5, 5]}], "cannot reshape (8, 8, 2) (128 values)"),
])
def test_impossible_image_stacks_name_the_fix(stack, message):
    from kwk.errors import SpecError
    spec = normalize({"data": {"target": "y", "task": "regression", "image_shape": [8, 8, 2]},
                      "layers": stack})
    with pytest.raises(SpecError) as e:
        check_stack(spec, 128)
    assert message in str(e.value)


def test_conv_on_a_table_is_explained():
    from kwk.errors import SpecError
    spec = normalize({"data": {"target": "y", "task": "regression"}, "layers": [{"type": "Conv2D"}]})
    with pytest.raises(SpecError) as e:  # Conv2D is layer 1: nothing above it to remove
        check_stack(spec, 10)
    assert "the data is rows of a table, not pictures" in str(e.value)
    assert "use image data" in str(e.value) and "above it" not in str(e.value)
    spec = normalize({"data": {"target": "y", "task": "regression"},
                      "layers": [{"type": "Dense", "units": 4}, {"type": "Conv2D"}]})
    with pytest.raises(SpecError, match="remove the Flatten or global pooling above it, and use image data"):
        check_stack(spec, 10)


@pytest.mark.parametrize("layer", LAYER_CASES, ids=lambda c: c["type"])
def test_layer_matches_keras(layer):
    spec = normalize({"data": {"target": "y", "task": "regression"}, "layers": [layer]})
    model = build_model(spec, 6)
    built = model.layers[1]
    assert type(built).__name__ == layer["type"]
    # our shape/param arithmetic == Keras's
    rows = check_stack(spec, 6)
    assert rows[1]["params"] == built.count_params()
    assert rows[1]["shape"] == tuple(built.output.shape[1:])
    assert sum(r["params"] for r in rows) == model.count_params()
    # the generated code builds an identical layer
    from keras import layers  # noqa: F401  (used by eval)
    code = layer_code(spec["layers"][0])
    made = eval(code, {"layers": keras.layers, "keras": keras})
    made.build((None, 6))
    c1 = {k: v for k, v in built.get_config().items() if k != "name"}
    c2 = {k: v for k, v in made.get_config().items() if k != "name"}
    assert c1 == c2, code


def test_layer_code_is_readable():
    assert layer_code({"type": "Dense", "units": 16, "activation": "relu", "use_bias": True,
                       **{k: v for k, v in CATALOG["Dense"].defaults().items()
                          if k not in ("units", "activation")}}) == \
        "layers.Dense(16, activation='relu')"
    assert layer_code({"type": "Dropout", "rate": 0.2}) == "layers.Dropout(0.2)"


def test_layer_kwargs_are_keras_arguments():
    kw = layer_kwargs(normalize({"layers": [LAYER_CASES[1]]})["layers"][0])
    assert isinstance(kw["kernel_regularizer"], keras.regularizers.L1L2)
    assert isinstance(kw["bias_constraint"], keras.constraints.NonNeg)


def test_multiply_adds_per_row_counts_weights_times_positions():
    """Hand counts: a dense stack uses each weight once a row; a convolution at every pixel
    (the larger of its input and output grids); a recurrent layer at every time step; an
    Embedding looks up one vector a step."""
    from kwk.model.builder import multiply_adds_per_row
    dense = normalize({"data": {"target": "y", "task": "binary"},
                       "layers": [{"type": "Dense", "units": 64}, {"type": "Dense", "units": 32}]})
    model = build_model(dense, 20, 2)
    assert multiply_adds_per_row(model) == model.count_params() == \
        (20 * 64 + 64) + (64 * 32 + 32) + (32 + 1)

    pictures = normalize({"data": {"target": "y", "task": "multiclass", "image_shape": [28, 28, 1]},
                          "layers": [{"type": "Conv2D", "filters": 8, "kernel_size": 3},
                                     {"type": "Flatten"}]})
    pixels = np.random.default_rng(0).integers(0, 256, (4, 784)).astype("float32")
    model = build_model(pictures, 784, 10, adapt=pixels)
    assert multiply_adds_per_row(model) == (9 * 8 + 8) * 28 * 28 + (26 * 26 * 8 * 10 + 10)

    texts = np.array([["the cat sat"], ["a dog ran far"]] * 4, dtype=object)
    words = normalize({"data": {"target": "y", "task": "multiclass",
                                "text": {"max_tokens": 50, "sequence_length": 6}},
                       "layers": [{"type": "Embedding", "input_dim": 50, "output_dim": 4},
                                  {"type": "GRU", "units": 3}]})
    model = build_model(words, 1, 3, adapt=texts)
    gru = model.get_layer("2_gru").count_params()
    assert multiply_adds_per_row(model) == 4 * 6 + gru * 6 + (3 * 3 + 3)


def test_steps_per_execution_keeps_each_call_short():
    """Small dense networks run many steps per call (their steps are mostly fixed cost); a
    picture or long-sequence network runs few, so the progress moves and Stop answers within
    about CALL_SECONDS; never more steps than an epoch has."""
    from kwk.model.builder import (CALL_SECONDS, MACS_PER_SECOND, MAX_STEPS_PER_CALL,
                                   STEP_OVERHEAD_SECONDS, multiply_adds_per_row,
                                   steps_per_execution)
    small = build_model(normalize({"data": {"target": "y", "task": "binary"}, "layers": [
        {"type": "Dense", "units": 64}, {"type": "Dense", "units": 32}]}), 20, 2)
    assert steps_per_execution(small, 274, 256) == MAX_STEPS_PER_CALL
    assert steps_per_execution(small, 3, 256) == 3
    assert steps_per_execution(small, 1, 256) == 1

    cnn = build_model(normalize({"data": {"target": "y", "task": "multiclass",
                                          "image_shape": [64, 64, 3]},
                                 "layers": [{"type": "Conv2D", "filters": 32, "kernel_size": 3},
                                            {"type": "Conv2D", "filters": 64, "kernel_size": 3},
                                            {"type": "GlobalAveragePooling2D"}]}),
                      64 * 64 * 3, 10,
                      adapt=np.random.default_rng(0).integers(0, 256, (2, 64 * 64 * 3)))
    assert steps_per_execution(cnn, 500, 32) == 1

    series = keras.Sequential([keras.Input((200, 8)), keras.layers.LSTM(64),
                               keras.layers.Dense(1)])  # windows of 200 steps
    spe = steps_per_execution(series, 10_000, 64)
    step = STEP_OVERHEAD_SECONDS + 3 * 64 * multiply_adds_per_row(series) / MACS_PER_SECOND
    assert 1 <= spe < 8 and (spe == 1 or spe * step <= CALL_SECONDS)
    # a bigger batch makes each step dearer: never more steps per call
    assert steps_per_execution(series, 10_000, 512) <= spe


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_offered_activation_builds_a_network_that_predicts(activation):
    """Each activation the catalog offers gives a Dense stack whose output has the expected
    shape ('glu', which halves a layer's units, and 'threshold', which needs two more
    arguments, were offered and failed in training)."""
    import numpy as np
    spec = normalize({"data": {"target": "y", "task": "binary"},
                      "layers": [{"type": "Dense", "units": 4, "activation": activation},
                                 {"type": "Dense", "units": 3}]})
    model = build_model(spec, 5, 1)
    out = np.asarray(model(np.random.default_rng(0).normal(size=(2, 5)).astype("float32")))
    assert out.shape == (2, 1)


def _registered_gradients() -> int:
    from tensorflow.python.framework import ops
    return len(ops._gradient_registry._registry)  # TensorFlow's global gradient registry


def _train_small(make, strategy=None):
    import contextlib
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(300, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(make(), "binary_crossentropy", steps_per_execution=3)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    return model.get_weights()


def test_training_in_the_app_process_does_not_keep_each_model():
    """Keras sums gradients over replicas even without a strategy, through a custom gradient
    that TensorFlow registers globally and never frees (each one holds the traced step, about
    5 MB a model). KwK's optimizers skip that sum outside a strategy: the registry stops
    growing, the weights are the same bit for bit, and under a strategy Keras's sum still
    runs."""
    import tensorflow as tf

    from kwk.model.builder import make_optimizer
    training = normalize({})["training"]
    def kwk():
        return make_optimizer(training, 10)

    _train_small(kwk)  # anything TensorFlow registers once
    before = _registered_gradients()
    ours = [_train_small(kwk) for _ in range(3)]
    assert _registered_gradients() == before
    plain = _train_small(lambda: keras.optimizers.Adam(training["learning_rate"]))
    assert _registered_gradients() > before  # Keras's own optimizer registers one per model
    assert all(np.array_equal(a, b) for a, b in zip(ours[0], plain))
    assert all(np.array_equal(a, b) for a, b in zip(ours[0], ours[2]))

    before = _registered_gradients()
    _train_small(kwk, tf.distribute.MirroredStrategy(["/cpu:0"]))
    assert _registered_gradients() > before  # inside a strategy: Keras's sum, as before
