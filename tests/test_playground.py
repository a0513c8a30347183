"""The Playground engine: datasets, feature crosses, settings <-> URL, the live network."""
import time

import numpy as np
import pandas as pd
import pytest

from kwk.errors import DataError, SpecError
from kwk.playground.engine import (DATASETS, FEATURES, MAX_LAYERS, Config, Playground, build_frame,
                            feature_matrix, grid, make_dataset, split, user_dataset)


@pytest.mark.parametrize("name", list(DATASETS))
def test_datasets_shape_range_balance_and_seed(name):
    xy, y = make_dataset(name, 400, 0.0, seed=1)
    assert xy.shape == (400, 2) and y.shape == (400,)
    assert np.abs(xy).max() <= 7.5
    if name in ("circle", "xor", "gauss", "spiral"):
        assert set(np.unique(y)) == {0.0, 1.0} and 0.3 < y.mean() < 0.7
    else:
        assert y.min() >= -1 and y.max() <= 1 and y.std() > 0.1
    again, _ = make_dataset(name, 400, 0.0, seed=1)
    other, _ = make_dataset(name, 400, 0.0, seed=2)
    assert np.array_equal(xy, again) and not np.array_equal(xy, other)


def test_noise_blurs_the_classes():
    xy, y = make_dataset("xor", 2000, 0.0, seed=0)
    assert np.all((xy[:, 0] * xy[:, 1] >= 0) == (y == 1))  # no noise: the quadrant rule holds
    xy, y = make_dataset("xor", 2000, 0.5, seed=0)
    wrong = np.mean((xy[:, 0] * xy[:, 1] >= 0) != (y == 1))
    assert 0.05 < wrong < 0.5


def test_feature_crosses():
    xy = np.array([[1.0, 2.0], [-3.0, 0.5]])
    X = feature_matrix(xy, list(FEATURES))
    expect = [[1, 2, 1, 4, 2, np.sin(1), np.sin(2)], [-3, 0.5, 9, 0.25, -1.5, np.sin(-3), np.sin(0.5)]]
    assert np.allclose(X, expect, atol=1e-6)
    assert feature_matrix(xy, ["x1_x2"]).shape == (2, 1)
    with pytest.raises(SpecError, match="No input feature"):
        feature_matrix(xy, [])
    with pytest.raises(SpecError, match="Unknown input feature"):
        feature_matrix(xy, ["x3"])


def test_grid_and_split():
    axis, pts = grid(5)
    assert axis[0] == -6 and axis[-1] == 6 and pts.shape == (25, 2)
    tr, te = split(100, 0.7, seed=0)
    assert len(tr) == 70 and len(te) == 30 and not set(tr) & set(te)


def test_settings_round_trip_through_the_url():
    c = Config(dataset="spiral", noise=20, features=["x1", "x2", "sin_x1"], layers=[8, 8, 5],
               activation="relu", learning_rate=0.01, regularization="L2", reg_rate=0.003,
               optimizer="adam", dropout=0.1, seed=7, show_test=True, batch_size=20)
    q = c.to_query()
    assert q["layers"] == "8,8,5" and q["features"] == "x1,x2,sin_x1" and q["show_test"] == "1"
    assert "train_ratio" not in q  # defaults stay out of the link
    back, problems = Config.from_query(q)
    assert back == c and problems == []
    assert Config.from_query({}) == (Config(), [])


def test_bad_links_fall_back_with_a_reason():
    c, problems = Config.from_query({"layers": "4,x", "noise": "7"})
    assert c.noise == 7 and c.layers == [4, 2] and "'layers=4,x' could not be read" in problems[0]
    c, problems = Config.from_query({"layers": ",".join(["3"] * 11)})
    assert c == Config() and f"the limit is {MAX_LAYERS}" in problems[0]
    c, problems = Config.from_query({"dataset": "nonsense"})
    assert c.dataset == "circle" and problems
    # a 'my data' link keeps its settings; the page asks for the data (see the app tests)
    c, problems = Config.from_query({"dataset": "user"})
    assert c.dataset == "user" and not problems


def test_limits_name_the_setting():
    Config(layers=[256] * 10).check()
    with pytest.raises(SpecError, match="neurons per layer must be 1–256"):
        Config(layers=[257]).check()
    with pytest.raises(SpecError, match="learning rate is 0"):
        Config(learning_rate=0).check()
    with pytest.raises(SpecError, match="optimizer 'magic'"):
        Config(optimizer="magic").check()


def test_network_as_a_spec():
    spec = Config(layers=[6, 3], regularization="L1", reg_rate=0.01, dropout=0.2,
                  features=["x1", "x1_x2"]).to_spec()
    assert [l["type"] for l in spec["layers"]] == ["Dense", "Dropout", "Dense", "Dropout"]
    assert spec["layers"][0]["kernel_regularizer"] == {"type": "L1", "l1": 0.01}
    assert spec["data"]["features"] == ["x1", "x1_x2"] and spec["data"]["task"] == "binary"
    df = build_frame(*make_dataset("circle", 100, 0, 0), ["x1", "x1_x2"], "classification")
    assert list(df.columns) == ["x1", "x1_x2", "label"] and set(df.label) == {"orange", "blue"}


def test_user_data():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.uniform(10, 20, 200),
                       "cls": rng.choice(["no", "yes"], 200), "amount": rng.normal(size=200) * 50,
                       "three": rng.choice(["x", "y", "z"], 200)})
    xy, y, problem, classes = user_dataset(df, "a", "b", "cls")
    assert problem == "classification" and classes == ["no", "yes"]
    assert xy.min() >= -5 and xy.max() <= 5 and np.isclose(xy[:, 1].max(), 5)
    assert y.tolist() == (df.cls == "yes").astype(float).tolist()
    _, y, problem, _ = user_dataset(df, "a", "b", "amount")
    assert problem == "regression" and y.min() == -1 and y.max() == 1
    with pytest.raises(DataError, match="has 3 values"):
        user_dataset(df, "a", "b", "three")
    with pytest.raises(DataError, match="three different columns"):
        user_dataset(df, "a", "a", "cls")


@pytest.mark.slow
def test_live_network_learns_xor_from_the_cross_feature_alone():
    pg = Playground(Config(dataset="xor", features=["x1_x2"], layers=[], learning_rate=0.1))
    snap = pg.snapshot()
    assert snap["surface"].shape == (50, 50) and snap["epoch"] == 0
    for _ in range(25):
        pg.train_epoch()
    assert pg.history["test"][-1] < 0.1  # the classic experiment: X1·X2 alone solves XOR


@pytest.mark.slow
def test_spiral_needs_more_than_the_default_network():
    small = Playground(Config(dataset="spiral"))
    big = Playground(Config(dataset="spiral", features=list(FEATURES), layers=[8, 8, 8],
                            optimizer="adam"))
    for _ in range(60):
        small.train_epoch()
        big.train_epoch()
    assert big.history["test"][-1] < 0.5 < small.history["test"][-1]


@pytest.mark.slow
def test_snapshot_play_pause_step_and_seeded_init():
    cfg = Config(layers=[3, 2], seed=4)
    a, b = Playground(cfg), Playground(Config(layers=[3, 2], seed=4))
    assert np.array_equal(a.snapshot()["surface"], b.snapshot()["surface"])  # same seed, same net
    snap = a.snapshot()
    assert [n.shape for n in snap["neurons"]] == [(3, 20, 20), (2, 20, 20), (1, 20, 20)]
    assert [w.shape for w in snap["weights"]] == [(2, 3), (3, 2), (2, 1)]
    assert snap["inputs"].shape == (2, 20, 20)
    a.play(refresh=0.05)
    deadline = time.time() + 300  # a hang guard only: the epoch count is the signal
    while a.snapshot()["epoch"] < 3 and time.time() < deadline:
        time.sleep(0.05)
    assert a.playing and a.snapshot()["epoch"] >= 1
    a.pause()
    a.wait_paused()
    assert not a.playing
    e = a.epoch
    a.step()
    assert a.epoch == e + 1 and a.snapshot()["epoch"] == e + 1


@pytest.mark.slow
def test_divergence_and_idle_stop_the_thread():
    pg = Playground(Config(learning_rate=10, activation="relu", layers=[64, 64], problem="regression",
                           dataset="plane", optimizer="sgd"))
    pg.play(refresh=0.05)
    pg.wait_paused(30)
    assert not pg.playing and "learning rate is too high" in pg.snapshot()["error"]
    idle = Playground(Config())
    idle.last_seen -= 1000  # nobody has looked for a long time
    idle.play(idle_timeout=1)
    idle.wait_paused(10)
    assert not idle.playing and idle.epoch == 0


@pytest.mark.parametrize("cfg", [
    dict(),
    dict(dataset="spiral", layers=[6, 4], activation="relu", regularization="L2", reg_rate=0.01,
         optimizer="adam", batch_size=7),
    dict(dataset="plane", problem="regression", layers=[5], regularization="L1",
         reg_rate=0.003,
         batch_size=30),
])
def test_a_compiled_epoch_makes_the_same_updates_as_one_batch_at_a_time(cfg):
    """After the first epoch, the Playground runs an epoch's batches in one compiled call;
    the losses and weights must be those of train_on_batch on each batch in order."""
    fast, slow = Playground(Config(**cfg)), Playground(Config(**cfg))
    slow._fast = False  # never compiled: batch by batch
    for _ in range(6):
        fast.train_epoch()
        slow.train_epoch()
    assert fast._fast not in (None, False)  # the compiled path really ran
    np.testing.assert_allclose(fast.history["train"], slow.history["train"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fast.history["test"], slow.history["test"], rtol=1e-5, atol=1e-6)
    for a, b in zip(fast.model.weights, slow.model.weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_a_long_loss_curve_is_thinned_for_drawing():
    from kwk.playground.plots import LOSS_POINTS, loss_figure
    hist = {"train": list(np.linspace(1, 0, 20_000)), "test": list(np.linspace(2, 1, 20_000))}
    fig = loss_figure(hist)
    xs = [np.asarray(t.x) for t in fig.data]
    assert all(len(x) <= LOSS_POINTS and x[0] == 1 and x[-1] == 20_000 for x in xs)
    assert np.asarray(fig.data[0].y)[-1] == 0.0  # the last epoch is drawn


# ----------------------------------------------------------------------------- neurons explained
from kwk.playground.engine import Axis  # noqa: E402
from kwk.playground.explain import Line, explain, explain_snapshot, input_names, neurons, num  # noqa: E402


def _first(w, b, features=("x1", "x2"), axes=None):
    """A network of one hidden neuron with these incoming weights, explained."""
    return explain([np.array(w, float).reshape(-1, 1), np.ones((1, 1))],
                   [np.array([b], float), np.zeros(1)], 1, 0, list(features), axes)


def test_a_first_layer_neuron_draws_the_line_its_weights_say():
    # 0.8·x1 − 1.0·x2 + 0.1 = 0  <=>  x2 = 0.8·x1 + 0.1 (by hand)
    n = _first([0.8, -1.0], 0.1)
    assert n.title == "Layer 1 · neuron 1" and n.inputs == ["X₁", "X₂"]
    assert n.weights == [0.8, -1.0] and n.bias == pytest.approx(0.1)
    assert n.line.slope == pytest.approx(0.8) and n.line.intercept == pytest.approx(0.1)
    assert n.sentence == ("Turns on when X₂ is small and X₁ is large: a line across the plane, "
                          "roughly X₂ = 0.8·X₁ + 0.1.")
    # the line is where the weighted sum is zero, and "on" is the side the sentence names
    xs = np.linspace(-6, 6, 7)
    assert np.allclose(0.8 * xs - 1.0 * (n.line.slope * xs + n.line.intercept) + 0.1, 0)
    assert 0.8 * 5 - 1.0 * -5 + 0.1 > 0  # X₁ large, X₂ small: on


def test_the_line_matches_a_fitted_logistic_regression():
    """Independent check: scikit-learn fits a boundary to points labelled by x2 > 0.5·x1 − 1;
    a neuron holding the fitted weights explains that same line."""
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(0)
    xy = rng.uniform(-6, 6, (2000, 2))
    y = (xy[:, 1] > 0.5 * xy[:, 0] - 1).astype(int)
    lr = LogisticRegression(C=1e4, max_iter=5000).fit(xy, y)
    n = _first(lr.coef_[0], lr.intercept_[0])
    assert n.line.slope == pytest.approx(0.5, abs=0.05)
    assert n.line.intercept == pytest.approx(-1.0, abs=0.1)
    assert "X₂ is large" in n.sentence and "X₁ is small" in n.sentence
    assert n.line.text() == "X₂ = 0.5·X₁ − 1"


def test_on_your_data_the_line_is_in_the_columns_units():
    # income 20–120 and age 18–68 were scaled to −5…5: plane = 0.1·income − 7, 0.2·age − 8.6;
    # 0.8·p1 − p2 + 0.1 = 0  <=>  age = 0.4·income + 15.5 (by hand)
    axes = (Axis("income", 20, 120), Axis("age", 18, 68))
    n = _first([0.8, -1.0, 0.0], 0.1, ("x1", "x2", "x1_x2"), axes)
    assert n.inputs == ["income", "age", "income·age"]
    assert n.line.slope == pytest.approx(0.4) and n.line.intercept == pytest.approx(15.5)
    assert "age = 0.4·income + 15" in n.sentence and "income is large" in n.sentence
    assert np.allclose(axes[0].to_plane([20, 120]), [-5, 5])
    assert np.allclose(axes[1].from_plane(axes[1].to_plane([18, 30.5, 68])), [18, 30.5, 68])


def test_lines_along_an_axis_and_outside_the_plane():
    n = _first([2.0, 0.01], -1.0)  # X₂'s weight is too small to matter: x1 = 0.5
    assert n.line.slope is None and n.line.at == pytest.approx(0.5)
    assert n.sentence.endswith("roughly X₁ = 0.5.") and "X₂" not in n.sentence
    n = _first([0.0, 3.0], 1.5)  # only X₂: x2 = −0.5
    assert n.line.text() == "X₂ = −0.5"
    n = _first([1.0, 1.0], 20.0)  # x1 + x2 + 20 > 0 on all of [−6, 6]²
    assert "lies outside the plane shown, so it is on everywhere here" in n.sentence


def test_curved_inputs_and_a_neuron_that_learned_nothing():
    n = _first([1.0, 1.2], -3.0, ("x1_sq", "x2_sq"))
    assert n.sentence.startswith("Turns on far from the centre: a ring") and n.line is None
    n = _first([-1.0, -1.0], 3.0, ("x1_sq", "x2_sq"))
    assert n.sentence.startswith("Turns on near the centre")
    # equal weights, but X₁² spans 0–36 where X₁ spans −6–6: X₁² is what matters
    n = _first([0.5, 0.5], 0.0, ("x1", "x1_sq"))
    assert n.named[0] == "X₁²" and "not a straight line, since it uses X₁²" in n.sentence
    n = _first([0.001, -0.002], 0.3)
    assert n.sentence.startswith("Has not learned anything yet") and n.line is None


def test_deeper_neurons_combine_the_layer_before():
    W = [np.zeros((2, 4)), np.array([[2.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.05, -0.9]]),
         np.array([[0.1], [-3.0]])]
    B = [np.zeros(4), np.zeros(2), np.zeros(1)]
    n = explain(W, B, 2, 0, ["x1", "x2"])
    assert n.title == "Layer 2 · neuron 1" and n.inputs[0] == "neuron 1 of layer 1"
    assert n.sentence == ("Combines neurons 1 and 3 of layer 1, mostly 1: on where 1 is on and "
                          "3 is off.")
    n = explain(W, B, 2, 1, ["x1", "x2"])  # 1.0 and −0.9: no "mostly"
    assert n.sentence == "Combines neurons 2 and 4 of layer 1: on where 2 is on and 4 is off."
    out = explain(W, B, 3, 0, ["x1", "x2"])
    assert out.title == "Output" and out.sentence == "Reverses neuron 2 of layer 2: blue where it is off."
    # a busy neuron counts more than a still one: the spreads tip the balance to neuron 3
    n = explain(W, B, 2, 0, ["x1", "x2"], spreads=[np.array([0.1, 1, 1, 1])])
    assert n.named[0] == "neuron 3 of layer 1"
    assert neurons(W) == [(1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1), (3, 0)]
    with pytest.raises(ValueError, match="has 2 neurons"):
        explain(W, B, 2, 5, ["x1", "x2"])


def test_every_drawn_neuron_has_a_sentence_for_the_hover():
    from kwk.playground.explain import explain_all, how_it_computes, is_probability
    W = [np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]), np.array([[1.0], [0.0], [0.0]])]
    snap = {"weights": W, "biases": [np.zeros(3), np.zeros(1)],
            "neurons": [np.ones((3, 20, 20)), np.ones((1, 20, 20))]}
    about = explain_all(snap, ["x1", "x2"], per_layer=2)
    assert list(about) == [(1, 0), (1, 1), (2, 0)]  # the third of layer 1 is not drawn
    assert about[(1, 1)] == ("Turns on when X₂ is large: a line across the plane, roughly "
                             "X₂ = 0.")
    assert is_probability(2, 2, "classification") and not is_probability(2, 2, "regression")
    assert "sigmoid" in how_it_computes(2, 2, "tanh", "classification", False)
    assert "through relu" in how_it_computes(1, 2, "relu", "classification", True)


def test_numbers_and_names_in_sentences():
    assert [num(v) for v in (0.8, 0.123, 35.4, 1234, -0.05, 0, 250000)] == \
        ["0.8", "0.12", "35", "1200", "-0.05", "0", "250,000"]
    assert Line(-1.0, 2.0).text() == "x2 = −1·x1 + 2" and Line(0.0, -3.0).text() == "x2 = −3"
    axes = (Axis("a", 0, 1), Axis("b", 0, 1))
    assert input_names(["x1_sq", "x1_x2", "sin_x2"], axes) == ["a²", "a·b", "sin(b)"]


@pytest.mark.slow
def test_a_live_neuron_is_explained_from_its_keras_weights():
    """The snapshot's weights and biases are the model's, and the neuron's own output over the
    plane is positive on the side of its line the sentence calls 'on'."""
    pg = Playground(Config(layers=[3], activation="tanh", seed=2))
    for _ in range(3):
        pg.train_epoch()
    pg.step()
    snap = pg.snapshot()
    dense = next(layer for layer in pg.model.layers if hasattr(layer, "kernel"))
    kernel, bias = np.asarray(dense.kernel), np.asarray(dense.bias)
    checked = 0
    for j in range(3):
        n = explain_snapshot(snap, 1, j, pg.config.features)
        assert np.allclose(n.weights, kernel[:, j]) and n.bias == pytest.approx(bias[j])
        if n.line is None or n.line.slope is None:
            continue
        gx, gy = np.meshgrid(np.linspace(-6, 6, 20), np.linspace(-6, 6, 20))
        above = gy > n.line.slope * gx + n.line.intercept
        out = snap["neurons"][0][j]
        far = np.abs(gy - (n.line.slope * gx + n.line.intercept)) > 0.5
        sign_above = np.sign(kernel[1, j])  # the sum grows with x2 when its weight is positive
        assert np.all(np.sign(out[above & far]) == sign_above)
        assert np.all(np.sign(out[~above & far]) == -sign_above)
        checked += 1
    assert checked  # seed 2 gives three slanted lines
