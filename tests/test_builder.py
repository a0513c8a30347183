"""The layer catalog agrees with Keras: every choice is accepted, every parameter count and
output shape matches, and the code generator writes the same layer the builder builds."""
import pytest

from kwk.builder import build_model, layer_kwargs
from kwk.codegen import layer_code
from kwk.layers import ACTIVATIONS, CATALOG, INITIALIZERS
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


def test_cases_cover_the_catalog():
    assert {c["type"] for c in LAYER_CASES} == set(CATALOG)


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
