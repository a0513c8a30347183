"""Test rows that repeat training rows: repeated measurements of the same people through a
random split are flagged (with a note, a metrics record, a warning on Evaluate and a softer
gradient-boosting notice); innocent repeats (a table of a few categories) and honest splits
are not."""
import json

import numpy as np
import pandas as pd
import pytest

from kwk.prep.twins import split_twins, twins_note
from kwk.ui.tables import reference_notice
from testutil import run_cli, tiny_spec


def _panel(people=300, years=6, seed=0):
    """Each person measured every year with the same (continuous) covariates; the outcome
    mostly follows the person, not the covariates."""
    rng = np.random.default_rng(seed)
    person = pd.DataFrame({"person": np.arange(people), "age": rng.uniform(20, 70, people).round(3),
                           "income": rng.lognormal(10, 0.5, people).round(2),
                           "smoker": rng.choice(["yes", "no"], people)})
    effect = rng.normal(0, 3, people)
    df = person.loc[np.repeat(np.arange(people), years)].reset_index(drop=True)
    df["visits"] = (effect[df["person"]] + 0.02 * df["age"] + rng.normal(0, 1, len(df))).round(2)
    return df


def _grid(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({c: rng.choice(["a", "b", "c"], n) for c in ("p", "q", "r")})
    df["y"] = (df["p"] == "a") * 2.0 + (df["q"] == "b") + rng.normal(0, 1, n)
    return df


def _prepare(df, target, **data):
    from kwk.prep.prepare import prepare
    return prepare(df, {"kwk_spec": 1, "data": {"target": target, **data},
                        "layers": [{"type": "Dense", "units": 4, "activation": "relu"}],
                        **({"training": {"validation": "column"}}
                           if "validation_column" in data else {})})


def test_repeated_people_through_a_random_split_are_flagged():
    p = _prepare(_panel().drop(columns="person"), "visits")
    assert p.twins["flagged"] and p.twins["test_share"] > 0.9
    assert p.twins["chance_share"] < 0.1
    note = next(n for n in p.notes if "exact twin" in n)
    assert "validation column" in note and f"{p.twins['test_share']:.0%}" in note


def test_innocent_repeats_and_honest_splits_are_not_flagged():
    grid = _prepare(_grid(), "y").twins  # every combination repeats: chance says the same
    assert grid["test_share"] > 0.9 and grid["chance_share"] > 0.9 and not grid["flagged"]
    rng = np.random.default_rng(1)
    honest = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    honest["y"] = honest["a"] + rng.normal(size=600)
    p = _prepare(honest, "y")
    assert p.twins == {"test_share": 0.0, "chance_share": None, "flagged": False}
    assert not any("twin" in n for n in p.notes)
    # the same panel split by person (a validation column): no test person was seen
    panel = _panel()
    part = np.select([panel["person"] % 10 < 7, panel["person"] % 10 < 8],
                     ["train", "validation"], "test")
    p = _prepare(panel.drop(columns="person").assign(part=part), "visits",
                 validation_column="part")
    assert p.twins["test_share"] == 0.0 and not p.twins["flagged"]


def test_too_few_test_rows_or_no_inputs_tell_nothing():
    df = pd.DataFrame({"x": np.arange(40.0)})
    assert split_twins(df, np.arange(30), np.arange(30, 40)) is None
    assert split_twins(df[[]], np.arange(10), np.arange(10, 40)) is None
    assert twins_note(None) is None and twins_note({"flagged": False}) is None


def test_the_gradient_boosting_notice_points_at_the_split_not_at_tune():
    m = {"task": "regression", "test": {"r2": 0.1, "rmse": 3.0, "mae": 2.0},
         "reference": {"r2": 0.2, "rmse": 2.5, "mae": 1.8}}
    assert "Tune" in reference_notice(m)
    m["twins"] = {"test_share": 0.97, "chance_share": 0.05, "flagged": True}
    said = reference_notice(m)
    assert "recognising test rows" in said and "Tune" not in said


@pytest.mark.slow
def test_kwk_train_says_so_and_records_it(tmp_path):
    _panel().drop(columns="person").to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "spec.json").write_text(json.dumps(tiny_spec("visits", epochs=2)))
    r = run_cli("train", tmp_path / "panel.csv", "--spec", tmp_path / "spec.json",
                "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    assert "exact twin among the training rows" in r.stdout + r.stderr
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["twins"]["flagged"] and m["twins"]["test_share"] > 0.9
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert any("exact twin" in n for n in run["notes"])
