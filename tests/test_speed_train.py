"""Whole-train speed (issue 30, item 3) that must not change results: the comparison models are
fitted in a background thread during the epochs (not after them), and the logistic regression
runs on one BLAS thread (its spinning OpenBLAS threads crawl on a busy 2-core machine)."""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from testutil import tiny_spec


def _mixed(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """A 3-class table of numbers (some missing) and categories, with a known signal."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    level = rng.integers(0, 3, rows)
    score = np.column_stack([X[:, 0], X[:, 1], -X[:, 0]]) + np.eye(3)[level] * 1.5
    df = pd.DataFrame({f"x{i}": X[:, i] for i in range(4)})
    df["c"] = np.array(["u", "v", "w"], dtype=object)[level]
    df["y"] = np.array(["a", "b", "c"], dtype=object)[score.argmax(axis=1)]
    df.loc[rng.random(rows) < 0.05, "x2"] = np.nan
    return df


@pytest.fixture(scope="module")
def prepared():
    from kwk.prep.prepare import prepare
    return prepare(_mixed(), tiny_spec("y", epochs=3, seed=0))


def test_the_comparison_models_are_fitted_while_the_epochs_run(prepared, monkeypatch):
    """The first epoch's end waits for the comparison models to be done: with the models fitted
    after the epochs (as before), that signal never comes while training."""
    from kwk.evaluation import metrics
    from kwk.training import train_once
    real, done, where = metrics.comparison_outputs, threading.Event(), []

    def recording(p):
        where.append(threading.current_thread().name)
        out = real(p)
        done.set()
        return out
    monkeypatch.setattr(metrics, "comparison_outputs", recording)
    seen = []

    def progress(tick):
        if tick.logs is not None and tick.epoch == 1:
            seen.append(done.wait(120))  # a signal, not a time: set once the fits are done
    result = train_once(prepared, progress=progress)
    assert seen == [True]
    assert where == ["kwk-comparisons"]
    assert result.metrics["simple_model"]["name"] == "logistic regression"
    assert result.metrics["reference"]["name"] == "gradient boosting"


def test_the_overlapped_comparisons_give_the_same_metrics(prepared, monkeypatch):
    """Fitted during the epochs or after them: the same numbers, and the simple model's score
    is scikit-learn's own logistic regression on the same training rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score

    from kwk.training import train_once
    from kwk.training.arrays import ArrayFeeder
    from kwk.training.assess import scalars
    during = train_once(prepared).metrics
    monkeypatch.setattr(ArrayFeeder, "begin", None)  # the core then skips it
    after = train_once(prepared).metrics
    for part in ("test", "baseline", "simple_model", "reference"):
        assert scalars(during[part]) == pytest.approx(scalars(after[part]), rel=1e-6), part
    lr = LogisticRegression(max_iter=1000, random_state=0).fit(prepared.X["train"],
                                                               prepared.y["train"])
    want = balanced_accuracy_score(prepared.y["test"], lr.predict(prepared.X["test"]))
    assert during["simple_model"]["balanced_accuracy"] == pytest.approx(want, abs=1e-9)


def test_an_error_in_the_background_comparisons_fails_the_training(prepared, monkeypatch):
    from kwk.evaluation import metrics
    from kwk.training import train_once

    def broken(p):
        raise ValueError("comparison failed")
    monkeypatch.setattr(metrics, "comparison_outputs", broken)
    with pytest.raises(ValueError, match="comparison failed"):
        train_once(prepared)


def test_the_logistic_regression_runs_on_one_blas_thread(prepared, monkeypatch):
    """BLAS is limited to one thread while the simple model fits (and given back after); the
    probabilities match an unlimited fit's."""
    from threadpoolctl import threadpool_info

    from kwk.evaluation import metrics
    real, inside = metrics.simple_model_output, []

    def recording(*a, **kw):
        inside.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return real(*a, **kw)
    before = [(p["user_api"], p["num_threads"]) for p in threadpool_info()]
    monkeypatch.setattr(metrics, "simple_model_output", recording)
    limited = metrics.comparison_outputs(prepared)["simple"][0]
    assert inside and all(n == 1 for n in inside)
    assert [(p["user_api"], p["num_threads"]) for p in threadpool_info()] == before
    free = real("multiclass", prepared.X["train"], prepared.y["train"], prepared.X["test"], 3, 0)[0]
    np.testing.assert_allclose(limited, free, atol=1e-5)


# ------------------------------------------------------------------ tracing the training step
def _count_traces(model, counts: dict) -> None:
    """Count how often the Python body of each step runs: once per TensorFlow trace."""
    for name in ("train_step", "test_step"):
        real = getattr(model, name)

        def counted(data, _real=real, _name=name):
            counts[_name] = counts.get(_name, 0) + 1
            return _real(data)
        setattr(model, name, counted)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_the_training_step_is_traced_once(task):
    """The optimizer's and the metrics' variables exist before the first step, so TensorFlow
    traces the step once (it traced it twice: a function creating variables on its first call
    is traced again)."""
    from kwk.prep.prepare import prepare
    from kwk.training import seed_everything
    from kwk.training.arrays import ArrayFeeder
    df = _mixed()
    if task == "regression":
        df["y"] = df["x0"] * 2 + df["x1"]
        df = df.drop(columns="x0")
    p = prepare(df, tiny_spec("y", epochs=3, seed=0))
    assert p.task == task
    seed_everything(0)
    feeder = ArrayFeeder(p)
    model = feeder.build(p)
    counts = {}
    _count_traces(model, counts)
    feeder.fit(model, p, [], None)
    assert counts == {"train_step": 1, "test_step": 1}


def test_the_state_built_before_training_changes_no_number(prepared, monkeypatch):
    """The same seed gives the same curves and test metrics with the state built first or in
    the first step (as before); the loss of the first epoch matches Keras's own evaluate."""
    from kwk.model import builder
    from kwk.training import train_once
    from kwk.training.assess import scalars
    first = train_once(prepared)
    monkeypatch.setattr(builder, "build_training_state", lambda *a: None)
    before = train_once(prepared)
    assert first.history == before.history
    assert scalars(first.metrics["test"]) == scalars(before.metrics["test"])
    # the metrics were reset after building: the last epoch's val_loss is Keras's evaluate
    loss = first.model.evaluate(prepared.X["validation"], prepared.y["validation"], verbose=0,
                                return_dict=True)["loss"]
    assert first.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)


# ------------------------------------------------------------------ scoring without predict()
def test_scoring_calls_the_model_without_tracing_a_predict_function(prepared):
    """model_proba scores batch by batch with direct calls: no predict function is traced for
    the model (model.predict traced one per model, fold, trial and input shape: the server's
    'triggered tf.function retracing' warnings), and the probabilities are predict's."""
    from kwk.evaluation.metrics import model_proba
    from kwk.training import seed_everything
    from kwk.training.arrays import ArrayFeeder
    seed_everything(0)
    model = ArrayFeeder(prepared).build(prepared)
    X = np.concatenate([prepared.X["train"]] * 10)  # several batches of 4,096 and a short one
    outs = [model_proba(model, X[:n], "multiclass") for n in (1, 37, len(X))]
    assert model.predict_function is None
    assert [o.shape for o in outs] == [(1, 3), (37, 3), (len(X), 3)]
    want = model.predict(X, verbose=0, batch_size=4096)
    np.testing.assert_allclose(outs[2], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[2].sum(axis=1), 1.0, atol=1e-5)
