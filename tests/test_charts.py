"""Issue 28, item 8: charts that do not exaggerate. Every axis of every figure factory
(kwk/plots.py, kwk/playground/plots.py) names what it shows, and probability axes run 0–1:
the layer inspector drew a 5.8% probability filling its chart, and the per-row waterfall's
axis started at 0.5."""
import inspect

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from kwk import plots
from kwk.playground import plots as pg_plots

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 2, 200)
P1 = np.clip(0.3 + 0.4 * Y + RNG.normal(0, 0.15, 200), 0.01, 0.99)
PROBA = np.column_stack([1 - P1, P1])
HIST = {"loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.7, 0.65],
        "accuracy": [0.955, 0.97, 0.98], "val_accuracy": [0.95, 0.96, 0.97]}
WATERFALL_CLASS = {"base": 0.52, "steps": [("plan = basic", 0.03), ("tenure = 3", -0.012)],
                   "prediction": 0.538, "class": "yes"}
WATERFALL_NUMBER = {"base": 120.0, "steps": [("rooms = 3", 4.0), ("age = 40", -1.5)],
                    "prediction": 122.5, "class": None}


def _gains():
    from kwk.evaluation.analysis import calibration, gains_lift
    return gains_lift(Y, P1), calibration(Y, P1)


def _layer(values, **kw):
    v = np.asarray(values, dtype=float)
    kind = {1: "vector", 2: "matrix", 3: "maps"}[v.ndim]
    return {"layer": kw.pop("layer", "dense_2"), "type": kw.pop("type", "Dense"),
            "shape": v.shape, "values": v, "kind": kind, "relu": kw.pop("relu", False),
            "probability": kw.pop("probability", False)}


def _snap():
    from kwk.playground.engine import grid
    axis, _ = grid(20)
    return {"surface": np.full((20, 20), 0.5), "history": {"train": [0.7, 0.5], "test": [0.8, 0.6]}}


FIGURES = {
    "column_distribution": lambda: plots.column_distribution(
        {"name": "age", "histogram": {"edges": [0, 1, 2, 3], "counts": [3, 5, 2]}}),
    "column_distribution (labels)": lambda: plots.column_distribution(
        {"name": "plan", "top": [{"value": "a", "count": 3}, {"value": "b", "count": 1}]}),
    "correlation_heatmap": lambda: plots.correlation_heatmap(
        {"columns": ["a", "b"], "matrix": [[1.0, 0.3], [0.3, 1.0]]}),
    "target_distribution": lambda: plots.target_distribution(["x", "y", "x"], "binary", "churn"),
    "network_diagram": lambda: plots.network_diagram(
        [{"name": "input", "shape": (4,), "params": 0}, {"name": "Dense", "shape": (8,),
                                                         "params": 40}]),
    "network_diagram (branches)": lambda: plots.network_diagram(
        [{"name": "Dense", "shape": (8,), "params": 40, "branch": "table"},
         {"name": "Embedding", "shape": (4,), "params": 40, "branch": "text"},
         {"name": "Dense", "shape": (4,), "params": 40}]),
    "learning_curves": lambda: plots.learning_curves(HIST, "loss"),
    "learning_curves (accuracy)": lambda: plots.learning_curves(HIST, "accuracy"),
    "confusion_matrix": lambda: plots.confusion_matrix([[5, 1], [2, 7]], ["no", "yes"]),
    "roc_curves": lambda: plots.roc_curves(Y, PROBA, ["no", "yes"]),
    "pr_curves": lambda: plots.pr_curves(Y, PROBA, ["no", "yes"]),
    "actual_vs_predicted": lambda: plots.actual_vs_predicted(P1 * 10, P1 * 9),
    "residuals_vs_fitted": lambda: plots.residuals_vs_fitted(P1 * 10, P1 * 9),
    "residual_histogram": lambda: plots.residual_histogram(P1 * 10, P1 * 9),
    "gains_chart": lambda: plots.gains_chart(_gains()[0]),
    "lift_chart": lambda: plots.lift_chart(_gains()[0]),
    "calibration_chart": lambda: plots.calibration_chart(_gains()[1]),
    "importance_chart": lambda: plots.importance_chart(
        pd.DataFrame({"feature": ["a", "b"], "importance": [0.1, 0.02], "sd": [0.01, 0.01]})),
    "profiler_chart": lambda: plots.profiler_chart(
        {"value": [1, 2, 3], "prediction": [0.2, 0.3, 0.4]}, "age", 2, "P(yes)", [0, 1]),
    "roc_overlay": lambda: plots.roc_overlay({"a": ([0, 0.5, 1], [0, 0.8, 1], 0.9)}),
    "runs_curves": lambda: plots.runs_curves({"a": [1.0, 0.6, 0.5]}, "Validation loss", "loss"),
    "series_chart": lambda: plots.series_chart([1, 2, 3], [5.0, 6.0, 5.5], name="sales"),
    "forecast_chart": lambda: plots.forecast_chart([1, 2, 3], [5, 6, 5.5], [5.1, 5.8, 5.6],
                                                   [5, 5, 6]),
    "contribution_waterfall": lambda: plots.contribution_waterfall(
        WATERFALL_CLASS, x_title="probability of 'yes'"),
    "contribution_waterfall (number)": lambda: plots.contribution_waterfall(
        WATERFALL_NUMBER, x_title="predicted price"),
    "contribution_bars": lambda: plots.contribution_bars(
        [{"feature": "a", "mean_abs": 0.2}], "mean |contribution|"),
    "beeswarm": lambda: plots.beeswarm(
        [{"feature": "a", "contribution": [0.1, -0.2], "shade": [0.1, 0.9],
          "value": [1, 2]}], "contribution"),
    "layer_output_figure": lambda: plots.layer_output_figure(
        _layer([0.058], layer="output", probability=True), ["P('yes')"]),
    "layer_output_figure (hidden)": lambda: plots.layer_output_figure(
        _layer([0.0, 1.5, 0.2], relu=True)),
    "layer_output_figure (input)": lambda: plots.layer_output_figure(
        _layer([0.5, -1.0], layer="input", type="Input"), ["age", "plan=b"]),
    "layer_output_figure (matrix)": lambda: plots.layer_output_figure(
        _layer(RNG.normal(size=(5, 3)), type="LSTM")),
    "layer_output_figure (maps)": lambda: plots.layer_output_figure(
        _layer(RNG.random((6, 6, 2)), type="Conv2D")),
    "weight_histogram": lambda: plots.weight_histogram(
        {"layer": "dense", "type": "Dense", "n_weights": 12,
         "kernel": {"edges": [-1, 0, 1], "counts": [4, 4]},
         "bias": {"edges": [-1, 0, 1], "counts": [1, 3]}}),
    "dead_units_chart": lambda: plots.dead_units_chart(
        [{"layer": "dense", "dead": 2, "units": 8, "share": 0.25}]),
    "gradient_norms_chart": lambda: plots.gradient_norms_chart(
        [{"layer": "dense", "norm": 1e-5}, {"layer": "dense_1", "norm": 0.5}]),
    "surface_figure": lambda: pg_plots.surface_figure(
        _snap(), RNG.uniform(-5, 5, (10, 2)), RNG.integers(0, 2, 10).astype(float),
        np.arange(6), np.arange(6, 10), "classification"),
    "loss_figure": lambda: pg_plots.loss_figure(_snap()["history"]),
    "neuron_figure": lambda: pg_plots.neuron_figure(RNG.uniform(-1, 1, (20, 20))),
    "neuron_figure (output)": lambda: pg_plots.neuron_figure(RNG.uniform(0, 1, (20, 20)),
                                                             probability=True),
}
# Figures without axes to read (a diagram of nodes and edges draws none).
NO_AXES = {"network_figure"}
# The public factories that are not one figure: several by name, or drawn by another part.
NOT_ONE_FIGURE: set[str] = set()


def _axes(fig: go.Figure) -> list[tuple[str, object]]:
    """The visible axes of a figure that carry data (cartesian axes only)."""
    out = []
    for name in fig.layout:
        if not (name.startswith("xaxis") or name.startswith("yaxis")):
            continue
        axis = fig.layout[name]
        if axis.visible is False:
            continue
        out.append((name, axis))
    return out


def _title(axis) -> str:
    return (axis.title.text or "") if axis.title is not None else ""


def test_every_factory_is_checked_here():
    """A new figure factory gets a case above (the predictor-screening chart belongs to the
    screening work and is checked there)."""
    def factories(module):
        return {n for n, f in inspect.getmembers(module, inspect.isfunction)
                if f.__module__ == module.__name__ and not n.startswith("_")
                and inspect.signature(f).return_annotation in ("go.Figure",
                                                               "go.Figure | None")}
    named = {k.split(" ")[0] for k in FIGURES} | NO_AXES | NOT_ONE_FIGURE
    missing = {n for n in factories(plots) | factories(pg_plots)
               if n not in named and "screening" not in n}
    assert not missing, f"figure factories without a check: {sorted(missing)}"


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_axis_names_what_it_shows(name):
    fig = FIGURES[name]()
    axes = _axes(fig)
    assert axes, f"{name}: no axis drawn"
    if name == "layer_output_figure (maps)":  # small multiples: the first map's axes say it
        axes = [(n, a) for n, a in axes if n in ("xaxis", "yaxis")]
    untitled = [n for n, a in axes if not _title(a).strip()]
    assert not untitled, f"{name}: axes without a title: {untitled}"


def test_the_inspectors_output_probability_is_drawn_on_0_to_1():
    """A 5.8% probability must look small: the axis is fixed to 0–1, not auto-scaled."""
    fig = FIGURES["layer_output_figure"]()
    assert list(fig.layout.yaxis.range) == [0, 1]
    assert "probability" in _title(fig.layout.yaxis)
    assert fig.data[0].y[0] == pytest.approx(0.058)
    hidden = FIGURES["layer_output_figure (hidden)"]()
    assert hidden.layout.yaxis.range is None  # other outputs are not probabilities


def test_an_output_neurons_probability_is_coloured_on_0_to_1():
    """The output neuron of a classification: its colour scale is the probability's 0–1, not
    stretched to the values on screen; a hidden neuron's scale is symmetric about 0."""
    out = FIGURES["neuron_figure (output)"]().data[0]
    assert (out.zmin, out.zmax) == (0.0, 1.0)
    hidden = FIGURES["neuron_figure"]().data[0]
    assert hidden.zmin == -hidden.zmax


def test_a_probability_waterfall_runs_from_0_to_1():
    """The per-row waterfall of a class's probability started at 0.5 (issue 28)."""
    fig = FIGURES["contribution_waterfall"]()
    assert list(fig.layout.xaxis.range) == [0, 1]
    assert "probability of 'yes'" in _title(fig.layout.xaxis)
    # a number has no natural zero: its axis spans the path, and the title says so
    num = FIGURES["contribution_waterfall (number)"]()
    lo, hi = num.layout.xaxis.range
    path = np.cumsum([120.0, 4.0, -1.5])
    assert lo < path.min() and hi > path.max() and lo > 0
    assert "does not start at 0" in _title(num.layout.xaxis)


@pytest.mark.parametrize("name,axes", [
    ("roc_curves", ("xaxis", "yaxis")), ("pr_curves", ("xaxis", "yaxis")),
    ("roc_overlay", ("xaxis", "yaxis")), ("calibration_chart", ("xaxis", "yaxis")),
    ("gains_chart", ("xaxis", "yaxis")), ("lift_chart", ("xaxis",)),
    ("learning_curves (accuracy)", ("yaxis",)), ("dead_units_chart", ("yaxis",)),
    ("profiler_chart", ("yaxis",)),
])
def test_rates_and_shares_use_the_whole_0_to_1_scale(name, axes):
    """Accuracy that moves from 95.5% to 98% is drawn on 0–1, not as a climb across the
    chart; curves may leave 2% above 1 so a line at 1 stays visible."""
    fig = FIGURES[name]()
    for a in axes:
        lo, hi = fig.layout[a].range
        assert lo == 0 and 1 <= hi <= 1.02, (name, a, fig.layout[a].range)


def test_a_log_scale_is_named_on_its_axis():
    fig = FIGURES["gradient_norms_chart"]()
    assert fig.layout.yaxis.type == "log" and "log scale" in _title(fig.layout.yaxis)
