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
