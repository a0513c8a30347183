"""Runs are grouped by the data they were trained on and what they predict (issue 35, item 8);
each run keeps one colour in every comparison chart; titled figures leave the chart toolbar's
band free (item 9)."""
import numpy as np
import pandas as pd
import pytest

from kwk import plots
from kwk.data.loader import fingerprint_bytes
from kwk.runs.groups import comparison_choices, data_difference, data_groups


def _table(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=30), "label": rng.choice(["a", "b", "c"], 30)})
    return df.to_csv(index=False).encode()


def _run(name: str, data: bytes, target="label", task="multiclass") -> dict:
    return {"data_name": name, "fingerprint": fingerprint_bytes(data), "task": task,
            "spec": {"data": {"target": target}}}


SHAPES, DIGITS = _table(1), _table(2)


def test_same_target_on_two_tables_is_two_groups_named_by_file():
    runs = {"r2": _run("digits.csv", DIGITS), "r1": _run("shapes.csv", SHAPES),
            "r3": _run("shapes.csv", SHAPES)}  # the same file again: the same fingerprint
    # the group with two runs first (offered by default: it can be compared)
    assert list(data_groups(runs)) == ["label (multiclass) — shapes.csv",
                                       "label (multiclass) — digits.csv"]
    assert data_groups(runs) == {"label (multiclass) — shapes.csv": ["r1", "r3"],
                                 "label (multiclass) — digits.csv": ["r2"]}
    choices = comparison_choices(runs)
    across = "label (multiclass) — across different data (shapes.csv, digits.csv)"
    assert list(choices) == ["label (multiclass) — shapes.csv",
                             "label (multiclass) — digits.csv", across]
    assert choices[across] == ["r1", "r3", "r2"]
    assert data_difference({k: runs[k] for k in ("r1", "r3")}) is None
    said = data_difference(runs)
    assert said.startswith("The data differ")
    assert "shapes.csv (runs r1, r3)" in said and "digits.csv (run r2)" in said


def test_two_files_of_one_name_are_told_apart_and_targets_stay_apart():
    runs = {"a": _run("data.csv", SHAPES), "b": _run("data.csv", DIGITS),
            "c": _run("data.csv", SHAPES, target="price", task="regression")}
    fa, fb = (fingerprint_bytes(d).split(":")[-1][:6] for d in (SHAPES, DIGITS))
    assert fa != fb
    assert data_groups(runs) == {f"label (multiclass) — data.csv (data {fa})": ["a"],
                                 f"label (multiclass) — data.csv (data {fb})": ["b"],
                                 "price (regression) — data.csv": ["c"]}
    # no 'across' choice mixes a regression with a classification
    assert all(set(ids) != {"a", "b", "c"} for ids in comparison_choices(runs).values())
    assert f"data.csv (data {fa})" in data_difference({"a": runs["a"], "b": runs["b"]})


def _colour(trace):
    return trace.line.color


def test_a_run_has_one_colour_in_every_comparison_chart():
    ids = ["r1", "r2", "r3"]
    colors = plots.run_colors(ids)
    assert len(set(colors.values())) == 3
    names = {i: f"run {i}" for i in ids}
    loss = plots.runs_curves({i: [1.0, 0.5] for i in ids}, "Validation loss", "loss", colors, names)
    # the ROC drawn for only two of them (the first has no saved evaluation): same colours
    roc = plots.roc_overlay({i: ([0, 1], [0, 1], 0.5) for i in ("r2", "r3")}, "ROC", colors,
                            names)
    by_name = {}
    for fig in (loss, roc):
        for t in fig.data:
            if t.name != "chance":
                by_name.setdefault(t.name.split(" (AUC")[0], set()).add(_colour(t))
    assert by_name == {f"run {i}": {colors[i]} for i in ids}


def _titled_figures():
    cm = plots.confusion_matrix([[5, 1], [2, 7]], ["cat", "dog"])
    yield cm
    yield plots.learning_curves({"loss": [1, 0.5]}, "loss", "Learning curves")
    yield plots.roc_overlay({}, "ROC (micro-average over classes)")
    yield plots.runs_curves({}, "Validation loss by epoch", "loss")
    yield plots.target_distribution(["a", "b"], "binary", "label")
    maps = {"layer": "conv", "type": "Conv2D", "kind": "maps", "values": np.zeros((4, 4, 2))}
    yield plots.layer_output_figure(maps)


@pytest.mark.parametrize("fig", list(_titled_figures()))
def test_a_title_sits_below_the_toolbar_band(fig):
    """The toolbar covers about the top 30 px: the title is anchored to the plot area's top
    (bottom of the title on the plot area), and the top margin holds the toolbar band, one line
    of title and its padding above the plot area."""
    t = fig.layout.title
    assert t.text
    assert (t.yref, t.y, t.yanchor) == ("paper", 1, "bottom")
    room = fig.layout.margin.t - t.pad.b   # pixels above the title's baseline
    assert room >= plots.TOOLBAR_PX + 20   # the toolbar band plus a 12-16 px title line


def test_the_confusion_matrix_title_is_short_and_its_axes_say_rows_and_columns():
    """The long title ran past a half-width chart (seen in Chromium at 1,280 px); the axes now
    say which way the matrix reads."""
    f = plots.confusion_matrix([[5, 1], [2, 7]], ["cat", "dog"])
    assert f.layout.title.text == "Confusion matrix"
    assert (f.layout.yaxis.title.text, f.layout.xaxis.title.text) == \
        ("actual (rows)", "predicted (columns)")
