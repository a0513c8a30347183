"""Looking inside: predictor screening and leakage on the Target page, the layer inspector on
the Evaluate page. Widgets and figures only; the numbers come from
:mod:`kwk.data.screening` and :mod:`kwk.evaluation.inspect`."""
from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from kwk import plots
from kwk.plots import ACCENT, GREY, SECOND
from kwk.ui.session import session

_LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), font=dict(size=12))


# ------------------------------------------------------------------ predictor screening

def screening(df, fingerprint: str, target: str, features: list[str], task: str,
              kinds: dict) -> dict | None:
    """Each input alone against the target, once per (data, target, inputs, task, kinds). It
    runs in the background (:mod:`kwk.ui.later`): None while it runs (a progress line is
    drawn here, and the page fills in when it ends) or when the user stopped it."""
    from kwk.ui import later
    key = ("screening", fingerprint, target, tuple(features), task,
           json.dumps(kinds, sort_keys=True))

    def work(progress, stop):
        from kwk.data.screening import screen
        return screen(df, target, features=list(features), task=task, kinds=kinds,
                      progress=progress, stop=stop)
    res = later.result(key, "Screening each column against the target", work)
    if res is None:
        later.progress(key)
    return res


def screening_figure(res: dict, max_columns: int = 30) -> go.Figure:
    """Horizontal bars, best column on top; suspected leaks in orange. Whiskers: the 90% range
    of each score over resampled rows (absent in results made before they were computed). The
    axis starts at 0; when every range ends below 0.5 it stops short of 1 and says so."""
    rows = res["columns"][:max_columns]
    has_range = bool(rows) and all("score_low" in r for r in rows)
    f = go.Figure()
    bar = dict(x=[r["score"] for r in rows], y=[r["column"] for r in rows], orientation="h",
               marker_color=[SECOND if r["leak"] else ACCENT for r in rows])
    what = res.get("value_metric", res["metric"])
    if has_range:
        bar["error_x"] = dict(type="data", symmetric=False, color=GREY, thickness=1.2,
                              array=[r["score_high"] - r["score"] for r in rows],
                              arrayminus=[r["score"] - r["score_low"] for r in rows])
        bar["customdata"] = [[r["value"], r["score_low"], r["score_high"], r["rank_low"],
                              r["rank_high"]] for r in rows]
        bar["hovertemplate"] = ("%{y}: score %{x:.3f}, 90% range %{customdata[1]:.3f}–"
                                "%{customdata[2]:.3f}, rank %{customdata[3]}–%{customdata[4]} ("
                                + what + " %{customdata[0]:.3f})<extra></extra>")
    else:
        bar["customdata"] = [r["value"] for r in rows]
        bar["hovertemplate"] = ("%{y}: score %{x:.3f} (" + what
                                + " %{customdata:.3f})<extra></extra>")
    f.add_bar(**bar)
    title = "Each column alone against the target"
    if len(res["columns"]) > max_columns:
        title += f" (the best {max_columns} of {len(res['columns'])})"
    top = max([r.get("score_high", r["score"]) for r in rows] or [0.0])
    end = 1.0 if top >= 0.5 else max(0.1, float(np.ceil(top * 1.25 * 20) / 20))
    axis = f"Score alone: {res['metric']}, 0 = no better than guessing, 1 = perfect"
    if end < 1:
        axis += f" (axis cut at {end:g})"
    if has_range:
        axis += "; whiskers: 90% range"
    f.update_layout(title=title, height=max(220, 24 * len(rows) + 110), **_LAYOUT,
                    xaxis=dict(range=[0, end * 1.02], title=axis, rangemode="tozero"),
                    yaxis=dict(autorange="reversed", title="input column"))
    return f


def leak_warnings(res: dict, key: str = "leak") -> None:
    """One warning per suspected leak, each with a button that leaves the column out (its role
    becomes *ignore*, as on the Data page)."""
    from kwk.data.screening import leak_message
    ss = session()
    for r in res["columns"]:
        if not r["leak"]:
            continue
        st.warning(leak_message(r), icon="🕵️")
        if st.button(f"Leave '{r['column']}' out", key=f"{key}_drop_{r['column']}",
                     help="Sets its role to 'ignore' (change it back on the Data page)."):
            ss.roles[r["column"]] = "ignore"
            st.rerun()


def screening_chart(res: dict) -> None:
    from kwk.data.screening import HOW_TO_READ
    if not res["columns"]:
        if res.get("note"):
            st.caption(f"Predictor screening: {res['note']}.")
        return
    st.markdown("#### Which columns predict the target on their own")
    st.plotly_chart(screening_figure(res), key="screening_chart")
    score = {"R²": "R² (below 0 shown as 0)",
             "log-loss reduction": "1 − log-loss of the column's class probabilities ÷ "
                                   "log-loss of the class shares alone (below 0 shown as 0)",
             }.get(res["metric"], res["metric"])
    extra = (f" Score: {score}, on {res['rows']:,} rows" + (" (a sample)" if res["sampled"]
                                                             else "")
             + ". Orange: suspected leak.")
    st.caption(HOW_TO_READ + extra)
    ranked = [r for r in res["columns"] if "rank_low" in r][:6]
    if len(ranked) > 1:
        st.caption("How settled the order is (each column's place over resampled rows, 90% "
                   "range): " + ", ".join(
                       f"{r['column']} {r['rank_low']}" + (f"–{r['rank_high']}"
                                                           if r["rank_high"] > r["rank_low"]
                                                           else "")
                       for r in ranked) + ".")
    if res.get("note"):
        st.caption(res["note"].capitalize() + ".")


# ------------------------------------------------------------------ the layer inspector

GRAD_ROWS = 256   # training rows for the gradient norms
DEAD_ROWS = 512   # rows over which a ReLU unit must stay at 0 to count as dead


@st.cache_data(show_spinner="Looking inside the network…", max_entries=32)
def _outputs(run_dir: str, fingerprint: str, row: int, _df) -> list[dict]:
    from kwk.evaluation.inspect import inspect_inputs, layer_outputs
    from kwk.ui.state import cached_bundle
    b = cached_bundle(run_dir)
    x = inspect_inputs(b.pre, _df, [row])
    if len(x) == 0:
        return []
    return layer_outputs(b.model, x[:1])


@st.cache_data(show_spinner="Measuring weights, dead units and gradients…", max_entries=8)
def _network(run_dir: str, fingerprint: str, _df, _test_rows) -> dict:
    from kwk.evaluation.inspect import (dead_units, gradient_norms, inspect_inputs,
                                        training_batch, training_sample, weight_histograms)
    from kwk.spec.stack import loss_name
    from kwk.ui.state import cached_bundle
    b = cached_bundle(run_dir)
    out = {"weights": weight_histograms(b.model), "dead": [], "grads": [], "grad_rows": 0,
           "dead_rows": 0, "grad_note": None}
    X = inspect_inputs(b.pre, _df, training_sample(len(_df), _test_rows, size=DEAD_ROWS))
    out["dead"], out["dead_rows"] = dead_units(b.model, X), len(X)
    X, y = training_batch(b.pre, _df, _test_rows, size=GRAD_ROWS)
    if len(y) == 0:
        out["grad_note"] = "No training row has a usable target value: no gradient norms."
        return out
    out["grads"] = gradient_norms(b.model, X, y, loss_name(b.spec), b.pre.task)
    out["grad_rows"] = int(len(y))
    return out


def _answer(o: dict, pre) -> str:
    """What the output layer's numbers mean, in the user's terms."""
    v = np.asarray(o["values"], dtype=float).reshape(-1)
    if pre.task == "regression":
        pred = float(pre.decode_regression(v[:1])[0])
        what = "change from the window's last value" if pre.forecasts_change else \
            pre.state["target"]["name"]
        return (f"the network's answer, in standard units: {v[0]:.3g}, i.e. {pred:.4g} "
                f"({what}) once scaled back.")
    classes = pre.classes
    if pre.task == "binary" and len(v) == 1:
        return f"the probability that the row is '{classes[1]}': {v[0]:.1%}."
    best = int(v.argmax())
    return (f"one probability per class ({', '.join(map(str, classes[:6]))}"
            f"{'…' if len(classes) > 6 else ''}); the highest, '{classes[best]}' at "
            f"{v[best]:.1%}, is the prediction.")


def _what(o: dict) -> str:
    """What a layer's output chart shows, in words."""
    v = o["values"]
    if o["kind"] == "maps":
        n = min(plots.MAX_MAPS, v.shape[-1])
        more = f" (the first {n} of {v.shape[-1]})" if v.shape[-1] > n else ""
        return (f"{v.shape[-1]} feature maps{more}: each is where in the picture one filter "
                "found its pattern (bright = strong).")
    if o["kind"] == "matrix":
        return (f"a {v.shape[0]} × {v.shape[1]} grid of values (one column per step or word, "
                "one row per unit); red high, blue low.")
    if o["kind"] == "vector":
        more = f" (the first {plots.MAX_BARS} of {len(v)})" if len(v) > plots.MAX_BARS else ""
        if o["layer"] == "input":
            return (f"the row as the network receives it, {len(v)} numbers{more}: each number "
                    "column scaled (0 = its training average), one 0/1 input per category.")
        return f"the {len(v)} values this layer passes on{more}, one bar per unit" + (
            "; a gap is a unit switched off (0) for this row." if o["relu"] else
            "; grey bars are 0 or below.")
    return f"an output of shape {o['shape']} (not drawn)."


def _output_labels(o: dict, pre, last: bool) -> tuple[list[str] | None, str | None]:
    """The bars' names and the y-axis title of one layer's output chart: the input names for
    the input, the classes for an output layer of probabilities, standard units for a
    regression's output."""
    if o["layer"] == "input":
        return pre.input_names, None
    if not last or o["kind"] != "vector":
        return None, None
    if pre.task == "regression":
        return None, "the answer in standard units"
    n = len(np.asarray(o["values"]).reshape(-1))
    if pre.task == "binary" and n == 1:
        return [f"P('{pre.classes[1]}')"], f"probability of '{pre.classes[1]}'"
    if n == len(pre.classes):
        return [str(c) for c in pre.classes], "probability"
    return None, None


def layer_inspector(run: dict, ev: dict, df) -> None:
    """The Evaluate page's layer inspector for one run: a chosen test row's path through the
    layers, the weight and bias histograms, dead ReLU units and gradient norms."""
    from kwk.errors import KwkError
    from kwk.ui.state import show_error
    st.markdown("### 🔬 Inside the network")
    st.caption("The Playground's neuron view grown up: what each layer of this trained network "
               "computes.")
    if not st.toggle("Show the layer inspector", key="insp_on",
                     help="Loads the model and runs a few hundred rows through it."):
        return
    if df is None or "test_rows" not in ev:
        st.info("Load the data this run was trained on (same file) on the **Data** page to "
                "inspect the layers: it needs the original rows.", icon="📂")
        return
    test_rows = np.asarray(ev["test_rows"], dtype=int)
    if len(test_rows) == 0:
        st.info("This run has no test rows to inspect.")
        return
    i = st.columns([1, 3])[0].number_input(
        f"Test row (1 to {len(test_rows)})", 1, len(test_rows), 1, key="insp_row",
        help="Which test row (or picture) to follow through the network.")
    row = int(test_rows[int(i) - 1])
    try:
        outs = _outputs(run["dir"], run["fingerprint"], row, df)
        net = _network(run["dir"], run["fingerprint"], df, test_rows)
    except KwkError as e:
        show_error(e)
        return
    st.markdown(f"#### What each layer outputs for row {row + 1} of the file")
    if not outs:
        st.info("This row has no complete look-back window, so it has no forecast to follow.")
    from kwk.ui.state import cached_bundle
    pre = cached_bundle(run["dir"]).pre
    cols = st.columns(2)
    for k, o in enumerate(outs):
        last = k == len(outs) - 1
        names, y_title = _output_labels(o, pre, last)
        fig = plots.layer_output_figure(o, names, y_title)
        what = _answer(o, pre) if last and o["kind"] == "vector" else _what(o)
        with cols[k % 2]:
            if fig is not None:
                st.plotly_chart(fig, key=f"insp_out_{k}")
            st.caption(f"**{o['layer']}**: {what}")

    st.markdown("#### Weights and biases per layer")
    st.caption("Each chart counts the layer's numbers by value: weights (blue) multiply the "
               "inputs, biases (orange) are added. A healthy layer's weights spread around 0; "
               "all near 0 means the layer barely does anything, huge values that training ran "
               "away.")
    cols = st.columns(2)
    for k, w in enumerate(net["weights"]):
        with cols[k % 2]:
            st.plotly_chart(plots.weight_histogram(w), key=f"insp_w_{k}")

    if net["dead"]:
        st.markdown("#### Dead ReLU units")
        st.plotly_chart(plots.dead_units_chart(net["dead"]), key="insp_dead")
        st.caption(f"The share of each ReLU layer's units that output 0 on all "
                   f"{net['dead_rows']} training rows sampled (outside the test set): a dead "
                   "unit never passes anything on and never learns. A high share wastes the "
                   "layer; try a smaller learning rate or a leaky ReLU.")
    if net["grads"]:
        st.markdown("#### Gradient norms per layer")
        st.plotly_chart(plots.gradient_norms_chart(net["grads"]), key="insp_grads")
        st.caption(f"How strongly the loss pushes each layer's weights, computed at the end of "
                   f"training: with the final model on {net['grad_rows']} training rows (rows "
                   "outside the test set, as the network was fed them). Much "
                   "smaller bars in the first layers than near the output mean the first layers "
                   "barely learn (vanishing gradients); huge bars, unstable training.")
    elif net["grad_note"]:
        st.caption(net["grad_note"])
