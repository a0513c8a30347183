"""The Runs page groups runs by their data and target (issue 35, item 8): two tables with the same
target name are two groups named by file, a comparison across them says the data differ, and
each run has one colour in every chart the page draws."""
import json

import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import goto, no_crash, texts, with_sample
from tests.testutil import tiny_spec


def _table(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(90, 2))
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1],
                         "label": np.array(["a", "b", "c"])[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0)]})


@pytest.fixture
def runs(workspace):
    from kwk.data.loader import fingerprint_bytes
    from kwk.runs.store import Store
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    store, ids = Store(workspace), {}
    for name, seed in (("shapes.csv", 1), ("digits.csv", 2)):
        df = _table(seed)
        fp = fingerprint_bytes(df.to_csv(index=False).encode())
        result = Job(prepare(df, tiny_spec("label", "multiclass", epochs=2))).run()
        ids[name] = [store.save(result, name, fp, None)]
        if name == "shapes.csv":  # the same file trained again: the same fingerprint
            ids[name].append(store.save(result, name, fp, None))
    return ids


def _colours(at) -> dict:
    """{legend name without its AUC: {colours}} over every plotly chart on the page."""
    out: dict = {}
    for chart in at.get("plotly_chart"):
        for t in json.loads(chart.proto.spec)["data"]:
            if t.get("name") and t["name"] != "chance":
                out.setdefault(t["name"].split(" (AUC")[0], set()).add(
                    (t.get("line") or {}).get("color"))
    return out


@pytest.mark.slow
def test_runs_on_two_tables_are_two_groups_and_mixing_them_is_said(runs):
    at = with_sample("iris")
    goto(at, "7_runs")
    everyone = runs["shapes.csv"] + runs["digits.csv"]
    at.multiselect(key="compare_sel").set_value(everyone).run()
    no_crash(at)
    options = at.radio(key="compare_group").options
    assert options[:2] == ["label (multiclass) — shapes.csv", "label (multiclass) — digits.csv"]
    assert options[2].startswith("label (multiclass) — across different data")
    # the group offered is the one with two runs, and the radio shows the group that is drawn
    assert at.radio(key="compare_group").value == options[0]
    assert "The data differ" not in texts(at)  # one data set compared: nothing to say
    assert len(_colours(at)) == 2  # the two runs on shapes.csv
    at.radio(key="compare_group").set_value(options[2]).run()
    no_crash(at)
    said = [w.value for w in at.warning if "The data differ" in w.value]
    assert len(said) == 1 and "shapes.csv" in said[0] and "digits.csv" in said[0]
    colours = _colours(at)
    assert len(colours) == 3  # three runs, each drawn in two charts (loss and ROC)
    assert all(len(c) == 1 and None not in c for c in colours.values()), colours
    assert len({next(iter(c)) for c in colours.values()}) == 3
    charts = at.get("plotly_chart")
    assert len(charts) == 2
