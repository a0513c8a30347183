import math
import time

import numpy as np
import pandas as pd
import pytest

from testutil import tiny_spec
from kwk.errors import DataError, TrainError
from kwk.data.samples import SAMPLES
from kwk.prep.prepare import prepare
from kwk.training import Job

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("key,task,metric,better_than_baseline", [
    ("iris", "multiclass", "balanced_accuracy", True),
    ("breast_cancer", "binary", "roc_auc", True),
    ("churn", "binary", "accuracy", None),
    ("diabetes", "regression", "r2", True),
    ("tips", "regression", "rmse", None),
])
def test_happy_paths_on_bundled_datasets(key, task, metric, better_than_baseline):
    df = SAMPLES[key].load()
    prep = prepare(df, tiny_spec(SAMPLES[key].target, epochs=25))
    assert prep.task == task
    res = Job(prep).run()
    m = res.metrics
    assert m["task"] == task and set(m) >= {"test", "baseline", "simple_model"}
    names = ("accuracy", "balanced_accuracy", "f1_macro", "log_loss", "roc_auc") \
        if task != "regression" else ("rmse", "mae", "r2")
    for n in names:
        assert n in m["test"] and n in m["baseline"]
    assert m["test"][metric] is not None
    if better_than_baseline:
        key_ = "r2" if task == "regression" else metric
        assert m["test"][key_] > m["baseline"][key_] + 0.1
    assert len(res.history["loss"]) == 25 and len(res.history["val_loss"]) == 25
    assert sum(len(v) for v in prep.y.values()) == len(df.dropna(subset=[SAMPLES[key].target]))


def test_categoricals_and_missing_values_are_encoded(churn_df):
    prep = prepare(churn_df, tiny_spec("churned"))
    names = prep.pre.input_names
    assert "plan=basic" in names and "signup_date.month" in names
    assert "customer_id" not in prep.spec["data"]["features"]
    assert not np.isnan(prep.X["train"]).any()
    assert prep.X["train"].shape[1] == len(names)
    # statistics come from the training rows only
    tr = churn_df.loc[prep.rows["train"], "monthly_charge"]
    col = next(c for c in prep.pre.state["columns"] if c["name"] == "monthly_charge")
    assert col["fill"] == pytest.approx(tr.median())


def test_split_is_stratified_and_seeded(iris_df):
    a = prepare(iris_df, tiny_spec("species", seed=3))
    b = prepare(iris_df, tiny_spec("species", seed=3))
    c = prepare(iris_df, tiny_spec("species", seed=4))
    assert (a.rows["test"] == b.rows["test"]).all() and not (a.rows["test"] == c.rows["test"]).all()
    assert a.stratified
    counts = pd.Series(a.y["test"]).value_counts()
    assert counts.max() - counts.min() <= 1
    assert not set(a.rows["train"]) & set(a.rows["test"])


def test_deterministic_for_a_seed(iris_df):
    r1 = Job(prepare(iris_df, tiny_spec("species", epochs=4, seed=11))).run()
    r2 = Job(prepare(iris_df, tiny_spec("species", epochs=4, seed=11))).run()
    r3 = Job(prepare(iris_df, tiny_spec("species", epochs=4, seed=12))).run()
    assert r1.history["loss"] == r2.history["loss"]
    assert r1.metrics["test"]["log_loss"] == r2.metrics["test"]["log_loss"]
    assert r1.history["loss"] != r3.history["loss"]


def test_background_job_progress_and_stop_keeps_model():
    rng = np.random.default_rng(0)
    n = 4000
    df = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(8)})
    df["y"] = df.x0 * 2 + rng.normal(size=n)
    job = Job(prepare(df, tiny_spec("y", epochs=500, batch_size=8))).start()
    deadline = time.time() + 300  # a hang guard only: the job's epoch count is the signal
    while job.snapshot()["epoch"] < 2 and time.time() < deadline:
        time.sleep(0.05)
    s = job.snapshot()
    assert s["status"] == "running" and s["epoch"] >= 2 and s["eta"] > 0 and s["elapsed"] > 0
    job.stop()
    assert job.wait(60)
    s = job.snapshot()
    assert s["status"] == "stopped" and "kept" in s["message"]
    assert 2 <= job.result.epochs_run < 500
    assert job.result.metrics["test"]["rmse"] is not None  # the model so far was evaluated


def test_nan_loss_stops_with_explanation():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=300) * 1e6, "y": rng.normal(size=300) * 1e6})
    spec = tiny_spec("y", epochs=50, optimizer="sgd", learning_rate=10.0)
    spec["layers"] = [{"type": "Dense", "units": 64, "activation": "exponential"}]
    job = Job(prepare(df, spec))
    with pytest.raises(TrainError, match="became NaN") as e:
        job.run()
    assert "Lower the learning rate" in e.value.hint
    assert job.snapshot()["status"] == "failed"


def test_early_stopping_and_schedules(iris_df):
    for sched in ("exponential", "cosine", "reduce_on_plateau"):
        res = Job(prepare(iris_df, tiny_spec("species", epochs=3, lr_schedule=sched,
                                             class_weight="balanced", optimizer="sgd",
                                             momentum=0.9, nesterov=True))).run()
        assert res.epochs_run == 3
        if sched == "exponential":
            assert res.history["lr"][2] < res.history["lr"][0]
    res = Job(prepare(iris_df, tiny_spec("species", epochs=200, early_stopping_patience=1,
                                         learning_rate=0.5))).run()
    assert res.status == "early_stopped" and res.epochs_run < 200


def test_too_few_rows():
    df = pd.DataFrame({"x": range(5), "y": [0, 1, 0, 1, 0]})
    with pytest.raises(DataError, match="at least 10"):
        prepare(df, tiny_spec("y"))


@pytest.mark.parametrize("opt", ["adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion"])
def test_every_optimizer_trains(iris_df, opt):
    res = Job(prepare(iris_df, tiny_spec("species", epochs=1, optimizer=opt))).run()
    assert math.isfinite(res.history["loss"][0])


def test_jobs_in_fresh_threads_after_keras_was_used_elsewhere(iris_df):
    """A long-lived server builds models in new threads after Keras was already used in
    another thread; automatic layer names must not collide ("dense" used twice)."""
    import keras
    keras.layers.Dense(2)  # use Keras's name counters in this thread first
    for _ in range(2):
        job = Job(prepare(iris_df, tiny_spec("species", epochs=1))).start()
        assert job.wait(120)
        assert job.snapshot()["status"] == "finished", job.snapshot()["message"]


def test_kfold_uses_every_row_once_for_validation(iris_df):
    from kwk.prep.preprocess import kfold_indices
    folds = kfold_indices(iris_df["species"], "multiclass", 5, seed=0)
    allrows = np.concatenate(folds)
    assert len(folds) == 5 and sorted(allrows) == list(range(len(iris_df)))
    for f in folds:  # stratified: 10 of each species per fold
        assert iris_df["species"].iloc[f].value_counts().tolist() == [10, 10, 10]


def test_cross_validation_repeats_and_confidence_intervals(iris_df):
    res = Job(prepare(iris_df, tiny_spec("species", epochs=3, validation="kfold", folds=3,
                                         repeats=2))).run()
    cv, rep, ci = res.metrics["cv"], res.metrics["repeats"], res.metrics["test_ci"]
    assert cv["k"] == 3 and len(cv["folds"]) == 3 and cv["n"] == 3
    assert cv["mean"]["accuracy"] == pytest.approx(np.mean([f["accuracy"] for f in cv["folds"]]))
    assert rep["seeds"] == [0, 1] and rep["n"] == 2 and rep["sd"]["accuracy"] >= 0
    lo, hi = ci["accuracy"]
    assert lo <= res.metrics["test"]["accuracy"] <= hi
    assert [rp.spec["training"]["seed"] for rp, _ in res.extra_models] == [1]


def test_validation_column_split():
    from kwk.errors import DataError
    rng = np.random.default_rng(0)
    n = 90
    df = pd.DataFrame({"x": rng.normal(size=n), "y": rng.choice(["a", "b"], n),
                       "role": ["Train"] * 60 + ["Validation"] * 15 + ["test"] * 15})
    p = prepare(df, tiny_spec("y", validation="column") | {"data": {
        "target": "y", "validation_column": "role"}})
    assert list(p.rows["test"]) == list(range(75, 90)) and "role" not in p.spec["data"]["features"]
    df.loc[3, "role"] = "later"
    with pytest.raises(DataError, match="values other than train / validation / test: 'later'"):
        prepare(df, tiny_spec("y", validation="column") | {"data": {
            "target": "y", "validation_column": "role"}})


def test_gate_queues_jobs_in_order_and_cancels_waiting_ones(iris_df):
    from kwk.runs.jobs import Gate, Registry
    gate = Gate(1)
    spec = tiny_spec("species", epochs=300, batch_size=4)
    first = Job(prepare(iris_df, spec), gate=gate).start()
    t0 = time.time()
    while first.snapshot()["status"] != "running" and time.time() - t0 < 300:  # hang guard
        time.sleep(0.05)
    second = Job(prepare(iris_df, tiny_spec("species", epochs=1)), gate=gate).start()
    third = Job(prepare(iris_df, tiny_spec("species", epochs=1)), gate=gate).start()
    t0 = time.time()  # the jobs' own signal (both in the queue), not a fixed half second
    while (second.snapshot().get("queue_position"), third.snapshot().get("queue_position")) \
            != (1, 2) and time.time() - t0 < 300:
        time.sleep(0.05)
    assert gate.running == 1
    assert second.snapshot()["status"] == "queued" and second.snapshot()["queue_position"] == 1
    assert third.snapshot()["queue_position"] == 2
    third.stop()  # cancel while waiting
    assert third.wait(10) and third.snapshot()["status"] == "stopped"
    assert "waiting in the queue" in third.snapshot()["message"]
    first.stop()
    assert first.wait(60) and second.wait(120)
    assert second.snapshot()["status"] == "finished" and gate.running == 0
    reg = Registry()
    jid = reg.add(second, owner="ann")
    assert reg.get(jid, "ann") is second and reg.get(jid, "bob") is None
