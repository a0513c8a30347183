"""A search tries the transforms of skewed columns (issue 33, item 3: "include … the transforms
above"): the proposed space holds them only where the profile would suggest one, a trial's data
is prepared again with its transforms exactly as training from scratch would, and the best
network is trained again with the transforms its trial had."""
import numpy as np
import pandas as pd
import pytest

from kwk.spec import default_spec
from kwk.tune.space import (
    TARGET_TRANSFORM,
    TRANSFORM_PREFIX,
    apply,
    current_values,
    normalize_tune,
    propose,
    rows_to_space,
    space_rows,
    transform_space,
)


def _table(n=400, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"skewed": rng.lognormal(0, 1.2, n),      # skewness far above 1, > 0
                       "signed": rng.standard_t(2, n) ** 3,       # skewed, with values <= 0
                       "normal": rng.normal(size=n),
                       "few": rng.choice([1.0, 2.0, 50.0], n, p=[.8, .15, .05])})  # 3 values
    df["y"] = np.exp(0.8 * np.log(df["skewed"]) + 0.3 * df["normal"] + rng.normal(0, .2, n))
    return df


def _spec(df, target="y"):
    spec = default_spec(target)
    spec["training"].update(epochs=4, early_stopping_patience=0)
    return spec


def test_the_space_tries_transforms_only_where_the_profile_suggests_one():
    df = _table()
    space = transform_space(_spec(df), df)
    assert space[f"{TRANSFORM_PREFIX}skewed"] == {"choices": ["none", "log"]}
    assert space[f"{TRANSFORM_PREFIX}signed"] == {"choices": ["none", "yeo-johnson"]}
    assert f"{TRANSFORM_PREFIX}normal" not in space and f"{TRANSFORM_PREFIX}few" not in space
    assert space[TARGET_TRANSFORM] == {"choices": ["none", "log"]}  # positive, right-skewed
    # a transform the user chose is kept, not searched
    own = _spec(df)
    own["data"]["transforms"] = {"skewed": "quantile"}
    assert f"{TRANSFORM_PREFIX}skewed" not in transform_space(own, df)
    # a class target has no target transform; nor has a target with a value of 0 or less
    df2 = df.assign(y=np.where(df.y > df.y.median(), "hi", "lo"))
    assert TARGET_TRANSFORM not in transform_space(_spec(df2), df2)
    df3 = df.assign(y=df.y - df.y.min())
    assert TARGET_TRANSFORM not in transform_space(_spec(df3), df3)
    # propose() adds them with the data, not without
    assert f"{TRANSFORM_PREFIX}skewed" in propose(_spec(df), 300, data=df)
    assert not any(k.startswith("data.") for k in propose(_spec(df), 300))


def test_a_trials_transforms_are_written_into_its_spec_and_read_back():
    spec = _spec(_table())
    values = {f"{TRANSFORM_PREFIX}skewed": "log", f"{TRANSFORM_PREFIX}signed": "none",
              TARGET_TRANSFORM: "log"}
    out = apply(spec, values)
    assert out["data"]["transforms"] == {"skewed": "log"}
    assert out["data"]["target_transform"] == "log"
    assert "transforms" not in spec["data"]  # the spec given is not changed
    space = {k: {"choices": ["none", v if v != "none" else "yeo-johnson"]}
             for k, v in values.items()}
    assert current_values(out, space) == values
    assert current_values(spec, space) == {k: "none" for k in values}
    assert apply(out, {TARGET_TRANSFORM: "none"})["data"].get("target_transform") is None


def test_transform_entries_are_checked_and_survive_the_pages_table():
    problems = []
    normalize_tune({"space": {f"{TRANSFORM_PREFIX}x": {"choices": ["none", "sqrt"]},
                              TARGET_TRANSFORM: {"choices": ["none", "yeo-johnson"]},
                              f"{TRANSFORM_PREFIX}z": {"low": 0, "high": 1}}}, [], problems)
    assert any("'sqrt' is not a transform" in p for p in problems)
    assert any("data.target_transform" in p and "'yeo-johnson'" in p for p in problems)
    assert any("data.transforms.z" in p and "choices" in p for p in problems)
    space = {f"{TRANSFORM_PREFIX}x": {"choices": ["none", "log"]},
             TARGET_TRANSFORM: {"choices": ["none", "log"]}}
    ok = []
    normalize_tune({"space": space}, [], ok)
    assert ok == []
    rows = space_rows(space, [])
    assert [r["setting"] for r in rows] == ["transform of x", "transform of the target"]
    assert rows_to_space(rows, []) == (space, [])


def test_a_trials_data_is_prepared_as_training_from_scratch_would(tmp_path):
    """The search's re-preparation equals prepare() of the same spec: same split, the
    transforms fitted on the same training rows, the target on its log."""
    from kwk.prep.prepare import prepare
    from kwk.tune.search import Search, prepared_with
    df = _table()
    spec = _spec(df)
    p = prepare(df, spec)
    trial = apply(p.spec, {f"{TRANSFORM_PREFIX}skewed": "log", TARGET_TRANSFORM: "log"})
    again = prepared_with(p, trial)
    scratch = prepare(df, apply(spec, {f"{TRANSFORM_PREFIX}skewed": "log",
                                       TARGET_TRANSFORM: "log"}))
    for split in ("train", "validation", "test"):
        np.testing.assert_array_equal(again.rows[split], p.rows[split])
        np.testing.assert_allclose(again.X[split], scratch.X[split], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(again.y[split], scratch.y[split], rtol=1e-6, atol=1e-6)
    # the target is learned on its log: decoding gives the original values back
    y = df["y"].to_numpy()[again.rows["test"]]
    np.testing.assert_allclose(again.pre.decode_regression(again.y["test"]), y, rtol=1e-4)
    assert prepared_with(p, p.spec) is p  # nothing to redo without other transforms
    s = Search(p, "fp", f"sqlite:///{tmp_path / 's.db'}")
    assert s.prepared_for(trial) is s.prepared_for(trial)  # prepared once per combination


@pytest.mark.slow
def test_the_best_network_is_trained_again_with_its_trials_transforms(tmp_path):
    """A search over the target transform alone (two trials: none, then log); the best is
    trained again with the transform its trial had, and its test RMSE is in the target's
    units (checked against scikit-learn on its own predictions)."""
    from sklearn.metrics import mean_squared_error

    from kwk.prep.prepare import prepare
    from kwk.tune.best import best_prepared
    from kwk.tune.search import Search
    df = _table(600)
    spec = _spec(df)
    spec["training"].update(epochs=30, learning_rate=0.01)
    spec["tune"] = {"trials": 2, "pruner": "none", "sampler": "random",
                    "space": {TARGET_TRANSFORM: {"choices": ["none", "log"]}}}
    p = prepare(df, spec)
    s = Search(p, "fp", f"sqlite:///{tmp_path / 's.db'}")
    s.study.enqueue_trial({TARGET_TRANSFORM: "log"})
    s.run(2)
    tried = {t.params[TARGET_TRANSFORM] for t in s.study.trials}
    assert "log" in tried
    best = s.best()
    bp = best_prepared(s)
    want = best["params"][TARGET_TRANSFORM]
    assert (bp.spec["data"].get("target_transform") or "none") == want
    assert (bp.pre.state["target"].get("transform") or "none") == want
    from kwk.training.core import train_once
    r = train_once(bp)
    pred = bp.pre.decode_regression(np.asarray(r.model.predict(bp.X["test"], verbose=0)).reshape(-1))
    y = df["y"].to_numpy()[bp.rows["test"]]
    assert r.metrics["test"]["rmse"] == pytest.approx(mean_squared_error(y, pred) ** 0.5, rel=1e-3)
