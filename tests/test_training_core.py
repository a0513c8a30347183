"""The training core (kwk.training.core.train_once) with a scripted feeder: the losses each
batch and epoch reports are given, so stop, NaN detection, early stopping, progress and the
status texts are checked without training a real network. Plus the pieces it rests on:
class weights, reservoir sampling, the shared preprocessing statistics and number coercion."""
import threading

import numpy as np
import pandas as pd
import pytest

from testutil import tiny_spec
from kwk.errors import TrainError
from kwk.prep.prepare import Prepared
from kwk.prep.preprocess import Preprocessor, to_number
from kwk.data.sampling import Reservoir
from kwk.prep.stats import StateBuilder
from kwk.spec import normalize
from kwk.training.core import (
    TrainResult,
    class_weights,
    class_weights_from_counts,
    outcome,
    train_once,
)


def _prepared(**training) -> Prepared:
    spec = normalize(tiny_spec("y", task="regression", **training))
    pre = Preprocessor({"columns": [], "target": {"name": "y", "task": "regression",
                                                  "mean": 0.0, "std": 1.0}})
    return Prepared(spec=spec, notes=[], pre=pre, counts={"train": 30, "validation": 5, "test": 5})


class Scripted:
    """A feeder that reports given losses: ``losses[epoch][batch]`` and ``val[epoch]``; an
    optional ``on_batch(epoch, batch)`` hook runs before each batch's report."""
    note = " (scripted)"

    def __init__(self, losses, val, on_batch=None):
        self.losses, self.val, self.on_batch = losses, val, on_batch
        self.batches = len(losses[0])

    def build(self, p):
        import keras
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

    def fit(self, model, p, callbacks, class_weight):
        import keras
        cbs = keras.callbacks.CallbackList(callbacks, model=model)
        model.stop_training = False
        cbs.on_train_begin()
        for e, (batch_losses, v) in enumerate(zip(self.losses, self.val)):
            cbs.on_epoch_begin(e)
            for b, loss in enumerate(batch_losses):
                if self.on_batch:
                    self.on_batch(e, b)
                cbs.on_train_batch_end(b, {"loss": loss})
                if model.stop_training:
                    break
            cbs.on_epoch_end(e, {"loss": float(np.mean(batch_losses)), "val_loss": v})
            if model.stop_training:
                break
        cbs.on_train_end()

    def evaluate(self, model, p):
        return {"test": {"rmse": 1.0}}, {}, p


def test_finishes_all_epochs_and_reports_progress():
    ticks = []
    r = train_once(_prepared(epochs=3), Scripted([[1.0, 0.9]] * 3, [1.0, 0.8, 0.7]), ticks.append)
    assert isinstance(r, TrainResult)
    assert (r.status, r.epochs_run) == ("finished", 3)
    assert r.message == "Finished all 3 epochs. (scripted)"
    assert r.history["val_loss"] == [1.0, 0.8, 0.7] and len(r.history["loss"]) == 3
    ends = [t for t in ticks if t.logs is not None]
    assert [t.epoch for t in ends] == [1, 2, 3] and ends[-1].logs["val_loss"] == 0.7
    during = [(t.epoch, t.batch) for t in ticks if t.logs is None]
    assert during[:3] == [(0, 0), (0, 1), (0, 2)] and all(t.batches == 2 for t in ticks)


def test_stop_keeps_the_model_so_far():
    stop = threading.Event()
    feeder = Scripted([[1.0] * 4] * 5, [1.0] * 5,
                      on_batch=lambda e, b: stop.set() if (e, b) == (1, 2) else None)
    r = train_once(_prepared(epochs=5), feeder, stop=stop)
    assert r.status == "stopped" and r.epochs_run == 2
    assert r.message.startswith("Stopped by you after 2 epoch(s); the model so far was kept.")


def test_no_finished_epoch_is_an_error():
    with pytest.raises(TrainError, match="before the first epoch finished"):
        train_once(_prepared(epochs=5), Scripted([[]], []))


def test_nan_loss_names_epoch_and_batch():
    feeder = Scripted([[1.0, 1.0], [1.0, float("nan")], [1.0, 1.0]], [1.0, 1.0, 1.0])
    with pytest.raises(TrainError, match="became NaN .* at epoch 2, batch 2") as e:
        train_once(_prepared(epochs=3, learning_rate=0.5), feeder)
    assert "Lower the learning rate (it is 0.5; try 0.05)" in e.value.hint


def test_early_stopping_comes_from_the_spec_callbacks():
    val = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9]
    r = train_once(_prepared(epochs=6, early_stopping_patience=2),
                   Scripted([[1.0]] * 6, val))
    assert r.status == "early_stopped" and r.epochs_run == 4
    assert r.message.startswith("Stopped early after 4 epochs: validation loss had not "
                                "improved for 2 epochs.")


def test_status_texts():
    tr = {"early_stopping_patience": 3}
    assert outcome(7, tr, stopped=False, early=False) == ("finished", "Finished all 7 epochs.")
    assert outcome(4, tr, stopped=False, early=True)[0] == "early_stopped"
    assert outcome(2, tr, stopped=True, early=True)[0] == "stopped"  # a stop wins


def test_class_weights_from_codes_and_counts_agree():
    y = np.array([0, 0, 0, 1, 2, 2])
    assert class_weights(y, 3) == class_weights_from_counts([3, 1, 2])
    assert class_weights(y, 3)[1] == pytest.approx(6 / 3)


def test_reservoir_samples_dataframe_rows_and_plain_arrays():
    df = pd.DataFrame({"a": np.arange(10_000), "b": np.arange(10_000) * 2.0})
    res = Reservoir(500, seed=1)
    for s in range(0, len(df), 700):
        res.add(df.iloc[s:s + 700])
    rows = res.sample
    assert len(rows) == 500 and res.full and (rows["b"] == 2 * rows["a"]).all()
    assert 3_000 < rows["a"].mean() < 7_000
    values = Reservoir(100, seed=1)
    values.add(np.arange(50.0))
    assert not values.full and values.sample.tolist() == list(range(50))


def test_streamed_statistics_equal_exact_ones_below_the_reservoir():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=900), "c": rng.choice(["a", "b", "c"], 900),
                       "y": rng.normal(size=900)})
    df.loc[::9, "x"] = np.nan
    spec = {"data": {"target": "y", "task": "regression", "features": ["x", "c"],
                     "kinds": {"x": "numeric", "c": "categorical"}}}
    exact = StateBuilder(spec).add(df).state()
    streamed = StateBuilder(spec, sample_seed=0)
    for s in range(0, 900, 200):
        streamed.add(df.iloc[s:s + 200])
    got = streamed.state()
    assert got["columns"][1] == exact["columns"][1]
    for k in ("fill", "mean", "std"):
        assert got["columns"][0][k] == pytest.approx(exact["columns"][0][k], rel=1e-9)
    assert got["target"]["mean"] == pytest.approx(exact["target"]["mean"], rel=1e-9)
    assert streamed.exact_medians


def test_to_number_is_the_one_coercion():
    s = pd.Series(["1.5", " 2 ", "?", None, "inf"])
    assert to_number(s).tolist()[:2] == [1.5, 2.0] and to_number(s).isna().tolist()[2:] == [True] * 3
    assert np.isinf(to_number(s, keep_inf=True).iloc[4])
    assert to_number(pd.Series([True, False])).tolist() == [1.0, 0.0]
