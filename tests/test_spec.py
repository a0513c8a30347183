import json

import numpy as np
import pandas as pd
import pytest

from kwk.errors import DataError, SpecError
from kwk.catalog.layers import CATALOG
from kwk.spec import (MAX_PARAMS, check_stack, default_spec, dumps, infer_task, loads,
                      normalize, resolve)

ISSUE_EXAMPLE = """{
  "kwk_spec": 1,
  "data": {"target": "species", "features": null, "task": "auto"},
  "layers": [
    {"type": "Dense", "units": 16, "activation": "relu"},
    {"type": "Dropout", "rate": 0.2}
  ],
  "training": {"optimizer": "adam", "learning_rate": 0.001, "epochs": 50, "batch_size": 32,
               "validation_fraction": 0.15, "test_fraction": 0.15,
               "early_stopping_patience": 10, "seed": 0}
}"""


def test_issue_example_round_trips():
    spec = loads(ISSUE_EXAMPLE)
    assert spec["layers"][1] == {"type": "Dropout", "rate": 0.2}
    assert spec["training"]["optimizer"] == "adam" and spec["training"]["class_weight"] == "auto"  # issue 28: balanced for a rare class
    assert loads(dumps(spec)) == spec


@pytest.mark.parametrize("patch,match", [
    ({"colour": "red"}, "Unknown key 'colour' in the spec. Allowed: kwk_spec, name, data"),
    ({"kwk_spec": 7}, "reads spec version 1"),
    ({"data": {"target": "y", "wat": 1}}, "Unknown key 'wat' in 'data'"),
    ({"data": {"target": "y", "task": "clustering"}}, "choose one of auto, binary"),
    ({"layers": [{"type": "Dense", "units": 0}]}, r"Layer 1 \(Dense\): 'units' is 0 but must be ≥ 1"),
    ({"layers": [{"type": "Dense", "units": 2.5}]}, "must be a whole number"),
    ({"layers": [{"type": "Dense", "units": "many"}]}, "must be a number"),
    ({"layers": [{"type": "Dense", "activation": "sparkle"}]}, "'activation' is 'sparkle', which is not one of: relu"),
    ({"layers": [{"type": "Dense", "unit": 4}]}, "unknown setting 'unit'. Allowed: activation"),
    ({"layers": [{"type": "Dense"}, {"type": "Dropout", "rate": 1.5}]}, r"Layer 2 \(Dropout\): 'rate' is 1.5 but must be ≥ 0 and < 1"),
    ({"layers": [{"type": "Convolution9D"}]}, "unknown layer type 'Convolution9D'. Available: Dense"),
    ({"layers": [{"type": "Dense", "kernel_regularizer": {"type": "L3"}}]}, "choose one of L1, L2, L1L2"),
    ({"layers": [{"type": "Dense", "kernel_regularizer": {"type": "L2", "l2": -1}}]}, "between 0 and 10"),
    ({"layers": "Dense"}, "'layers' must be a list"),
    ({"training": {"optimizer": "adamm"}}, "'optimizer' is 'adamm', which is not one of: adam"),
    ({"training": {"learning_rate": 0}}, "'learning_rate' is 0 but must be > 0"),
    ({"training": {"epochs": True}}, "must be a number"),
    ({"training": {"validation_fraction": 0.45, "test_fraction": 0.45}}, "keep their sum below 0.8"),
    ({"training": {"bach_size": 3}}, "unknown setting 'bach_size'"),
])
def test_invalid_specs_name_the_problem(patch, match):
    d = json.loads(ISSUE_EXAMPLE)
    d.update(patch)
    with pytest.raises(SpecError, match=match):
        normalize(d)


def test_all_problems_reported_at_once():
    with pytest.raises(SpecError) as e:
        normalize({"layers": [{"type": "Dense", "units": -1}, {"type": "Dropout", "rate": 2}],
                   "training": {"epochs": 0}})
    assert len(e.value.problems) == 3


def test_not_json():
    with pytest.raises(SpecError, match="not valid JSON"):
        loads("{'single': quotes}")
    with pytest.raises(SpecError, match="must be a JSON object"):
        loads("[1, 2]")


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 100
    return pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], n),
                         "id": np.arange(n), "k": 1, "y": rng.choice(["p", "q", "r"], n),
                         "num": rng.normal(size=n), "two": rng.choice([0, 1], n),
                         "empty": np.nan})


def test_resolve_fills_features_and_explains(frame):
    spec, notes = resolve(default_spec("y"), frame)
    d = spec["data"]
    assert d["task"] == "multiclass" and "3 different labels" in notes[0]
    assert d["features"] == ["x", "c", "num", "two"]
    assert any("Left out: id (identifier), k (constant), empty (constant)" in n for n in notes)
    assert d["kinds"]["c"] == "categorical" and d["kinds"]["y"] == "categorical"


def test_task_inference():
    assert infer_task(pd.Series([0, 1] * 10, name="t"), "boolean")[0] == "binary"
    assert infer_task(pd.Series(np.arange(100) * 1.5, name="t"), "numeric")[0] == "regression"
    assert infer_task(pd.Series([1, 2, 3] * 30, name="t"), "numeric")[0] == "multiclass"
    assert infer_task(pd.Series(list("abcd") * 5, name="t"), "categorical")[0] == "multiclass"


@pytest.mark.parametrize("data,exc,match", [
    ({"target": None}, SpecError, "No target chosen"),
    ({"target": "nope"}, SpecError, "target column 'nope' is not in the data"),
    ({"target": "empty"}, DataError, "Every value of the target 'empty' is missing"),
    ({"target": "k"}, DataError, "has a single value"),
    ({"target": "c", "task": "regression"}, SpecError, "not numeric"),
    ({"target": "y", "task": "binary"}, SpecError, "has 3 different values"),
    ({"target": "y", "features": ["x", "ghost"]}, SpecError, "not in the data: ghost"),
    ({"target": "y", "features": ["x", "y"]}, SpecError, "also listed as a feature"),
    ({"target": "y", "features": ["id"]}, SpecError, "Feature 'id' is a identifier column"),
    ({"target": "y", "kinds": {"ghost": "numeric"}}, SpecError, "kinds names columns"),
])
def test_resolve_errors(frame, data, exc, match):
    with pytest.raises(exc, match=match):
        resolve({"data": data}, frame)


def test_loss_and_output_must_fit_task(frame):
    with pytest.raises(SpecError, match="'mean_squared_error' does not fit a multiclass task"):
        resolve({"data": {"target": "y"}, "training": {"loss": "mean_squared_error"}}, frame)
    with pytest.raises(SpecError, match="does not fit several classes"):
        resolve({"data": {"target": "y"}, "output": {"activation": "sigmoid"}}, frame)
    with pytest.raises(SpecError, match="squeezes predictions"):
        resolve({"data": {"target": "num"}, "output": {"activation": "sigmoid"}}, frame)


def test_thousands_of_classes_refused():
    df = pd.DataFrame({"x": np.arange(3000.0) % 7, "y": [f"c{i}" for i in range(3000)]})
    with pytest.raises(SpecError, match="too many classes"):
        resolve({"data": {"target": "y", "task": "multiclass"}}, df)


def test_parameter_budget_refuses_absurd_sizes():
    spec = normalize({"data": {"target": "y", "task": "regression"},
                      "layers": [{"type": "Dense", "units": 100_000},
                                 {"type": "Dense", "units": 100_000}]})
    with pytest.raises(SpecError, match=f"limit is {MAX_PARAMS:,}.*2 · Dense") as e:
        check_stack(spec, 10)
    assert "fewer units" in e.value.hint
    with pytest.raises(SpecError, match="must be ≥ 1 and ≤ 100000"):
        normalize({"layers": [{"type": "Dense", "units": 10**9}]})


def test_shape_table_counts():
    spec = normalize({"data": {"target": "y", "task": "multiclass"},
                      "layers": [{"type": "Dense", "units": 8}, {"type": "BatchNormalization"},
                                 {"type": "Dropout"}, {"type": "Dense", "units": 4, "use_bias": False}]})
    rows = check_stack(spec, 5, n_classes=3)
    assert [r["params"] for r in rows] == [0, 48, 32, 0, 32, 15]
    assert rows[-1]["shape"] == (3,)


def test_every_catalog_param_has_help_and_valid_default():
    for lt in CATALOG.values():
        assert lt.summary
        for p in lt.params:
            assert len(p.help) > 15, (lt.name, p.name)
            assert p.check(p.default, lt.name) == [], (lt.name, p.name)


def test_changed_training_names_only_what_differs_from_the_defaults():
    from kwk.spec import changed_training, default_spec
    tr = default_spec()["training"]
    assert changed_training(tr) == []
    tr = {**tr, "epochs": 300, "early_stopping_patience": 0}
    assert changed_training(tr) == [("epochs", 300, 50), ("early_stopping_patience", 0, 10)]
