"""The layer inspector's engine (kwk.evaluation.inspect) on a tiny trained model."""
import numpy as np
import pandas as pd
import pytest

from testutil import tiny_spec


@pytest.fixture(scope="module")
def trained():
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                       "c": rng.choice(["x", "y", "z"], n)})
    df["t"] = np.where(df["a"] + 0.5 * df["b"] + rng.normal(0, 0.3, n) > 0, "yes", "no")
    spec = tiny_spec("t", epochs=3)
    spec["layers"] = [{"type": "Dense", "units": 8, "activation": "relu"},
                      {"type": "Dense", "units": 4, "activation": "relu"}]
    prep = prepare(df, spec)
    res = Job(prep).run()
    return df, prep, res


def test_layer_outputs_follow_one_row_through_every_layer(trained):
    from kwk.evaluation.inspect import inspect_inputs, layer_outputs
    df, prep, res = trained
    x = inspect_inputs(prep.pre, df, [int(prep.rows["test"][0])])
    outs = layer_outputs(res.model, x)
    assert [o["shape"] for o in outs][-3:] == [(8,), (4,), (1,)]
    assert outs[0]["layer"] == "input" and np.array_equal(outs[0]["values"], x[0])
    assert all(o["kind"] == "vector" for o in outs)
    assert [o["relu"] for o in outs][-3:] == [True, True, False]
    assert 0 <= float(outs[-1]["values"][0]) <= 1  # the sigmoid output: a probability
    # the last layer's output is the model's own prediction for that row
    assert float(outs[-1]["values"][0]) == pytest.approx(
        float(np.asarray(res.model(x))[0, 0]), abs=1e-5)
    relu = [o for o in outs if o["shape"] == (8,)][0]
    assert (relu["values"] >= 0).all()


def test_weight_histograms_dead_units_and_gradient_norms(trained):
    from kwk.evaluation.inspect import (dead_units, gradient_norms, inspect_inputs,
                                        training_batch, training_sample, weight_histograms)
    df, prep, res = trained
    w = weight_histograms(res.model)
    assert len(w) == 3 and all(h["kernel"] and h["bias"] for h in w)
    n_in = prep.X["train"].shape[1]
    assert w[0]["n_weights"] == n_in * 8 + 8
    assert sum(w[0]["kernel"]["counts"]) == n_in * 8 and sum(w[0]["bias"]["counts"]) == 8
    rows = training_sample(len(df), prep.rows["test"], size=128)
    assert len(rows) == 128 and not set(rows) & set(prep.rows["test"].tolist())
    X = inspect_inputs(prep.pre, df, rows)
    dead = dead_units(res.model, X)
    assert [d["units"] for d in dead] == [8, 4]
    assert all(0.0 <= d["share"] <= 1.0 and d["dead"] == round(d["share"] * d["units"])
               for d in dead)
    y = prep.pre.encode_target(df.iloc[rows]["t"])
    g = gradient_norms(res.model, X, y, "auto", "binary")
    Xb, yb = training_batch(prep.pre, df, prep.rows["test"], size=64)
    assert Xb.shape == (64, n_in) and set(np.unique(yb)) <= {0, 1}
    assert gradient_norms(res.model, Xb, yb, "binary_crossentropy", "binary")[0]["norm"] > 0
    assert len(g) == 3 and all(np.isfinite(x["norm"]) and x["norm"] >= 0 for x in g)
    assert any(x["norm"] > 0 for x in g)


def test_a_dead_unit_is_counted_and_convolutions_give_feature_maps():
    import keras
    from kwk.evaluation.inspect import dead_units, gradient_norms, layer_outputs
    inp = keras.Input((6, 6, 1))
    conv = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inp)
    flat = keras.layers.Flatten(name="flat")(conv)
    out = keras.layers.Dense(2, activation="softmax", name="out")(flat)
    model = keras.Model(inp, out)
    k, b = model.get_layer("conv").get_weights()
    k[..., 0], b[0] = -1.0, -1.0  # channel 0 can never be positive for inputs in [0, 1]
    model.get_layer("conv").set_weights([k, b])
    X = np.random.default_rng(0).uniform(0, 1, (20, 6, 6, 1)).astype("float32")
    dead = dead_units(model, X)
    assert dead == [{"layer": "conv", "units": 3, "dead": dead[0]["dead"],
                     "share": dead[0]["share"]}] and dead[0]["dead"] >= 1
    outs = layer_outputs(model, X[0])
    assert [o["layer"] for o in outs] == ["input", "conv", "flat", "out"]
    assert outs[0]["kind"] == outs[1]["kind"] == "maps" and outs[1]["shape"] == (4, 4, 3)
    assert outs[2]["shape"] == (48,) and outs[1]["relu"]
    g = gradient_norms(model, X, np.arange(20) % 2, "auto", "multiclass")
    assert [x["layer"] for x in g] == ["conv", "out"] and all(np.isfinite(x["norm"]) for x in g)
