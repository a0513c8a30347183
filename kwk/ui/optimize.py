"""Evaluate → Profiler: *Find the best settings* (JMP's Maximize Desirability) on the page.

The search is :func:`kwk.evaluation.optimize.optimize` — the same engine as
``python -m kwk optimize`` — over what the model knows (numbers within the training rows'
range, codes and categories among their values). The inputs the user ticks are held at the
values set on the profiler. The answer is kept with the profiler's state of its run
(``ss.profiler[run_id]["best"]``), so it never shows for another run; it can be put on the
profiler (every curve then shows the found point) or added as a row to score on Predict.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from kwk.errors import KwkError
from kwk.evaluation.analysis import grid_is_levels
from kwk.ui.session import session
from kwk.ui.state import show_error
from kwk.ui.tables import number_text

GOALS = {"Largest": "maximize", "Smallest": "minimize", "Closest to a value": "target"}


def _widget_value(kind: str, value):
    """The profiler widget's value for ``value`` (what its slider or select box holds)."""
    return float(value) if kind == "numeric" else str(value)


def _put_on_profiler(run_id: str, settings: dict, kinds: dict, grids: dict) -> None:
    """Callback: the profiler's values become the found settings (widgets included)."""
    ss = session()
    base = ss.profiler[run_id]["base"]
    for f, v in settings.items():
        base[f] = v
        g = grids.get(f)
        if not g:
            continue
        # the profiler sweeps the 1st-99th percentiles, the search the whole training range:
        # a value beyond the sweep widens it (the slider would refuse it otherwise)
        if kinds[f] == "numeric" and len(g) > 1 and not grid_is_levels(g) and \
                not g[0] <= float(v) <= g[-1]:
            lo, hi = min(g[0], float(v)), max(g[-1], float(v))
            g[:] = [float(x) for x in np.linspace(lo, hi, len(g))]
        elif kinds[f] != "numeric" and str(v) not in [str(x) for x in g]:
            g.append(str(v))
        st.session_state[f"prof_{run_id}_{f}"] = _widget_value(kinds[f], v)


def _add_to_predict(run_id: str, settings: dict) -> None:
    """Callback: the found settings become a row of Predict's editable grid."""
    ss = session()
    row = pd.DataFrame([settings])
    if ss.pred_grid is not None and ss.pred_grid[0] == run_id:
        _, rows, version = ss.pred_grid
        rows = pd.concat([rows, row.reindex(columns=rows.columns)], ignore_index=True)
        ss.pred_grid = (run_id, rows, version + 1)
    else:
        ss.pred_grid = (run_id, row, 0)
    ss.profiler[run_id]["best_sent"] = True


def best_settings(run: dict, run_id: str, bundle, df: pd.DataFrame, base: dict,
                  kinds: dict, grids: dict, cls: str | None, y_title: str) -> None:
    """The *Find the best settings* panel under the profiler's curves."""
    from kwk.evaluation.optimize import optimize, read_summary
    ss = session()
    state = ss.profiler[run_id]
    feats = list(bundle.pre.features)
    with st.expander("🎯 Find the best settings", expanded=bool(state.get("best"))):
        st.caption(f"KwK searches the inputs for the values that give the prediction you want "
                   f"({y_title}): numbers stay within the range of the training rows, codes "
                   "and categories among the values the model has seen. Tick the inputs to "
                   "hold at the values set on the profiler above.")
        c1, c2 = st.columns([2, 1])
        goal_label = c1.radio("Make the prediction", list(GOALS), horizontal=True,
                              key=f"opt_goal_{run_id}")
        goal = GOALS[goal_label]
        if goal == "target":
            lo, hi = (0.0, 1.0) if cls is not None else (None, None)
            start = 0.5 if cls is not None else float(np.nanmedian(
                pd.to_numeric(df[run["spec"]["data"]["target"]], errors="coerce")))
            value = c2.number_input("Target value", value=start, min_value=lo, max_value=hi,
                                    key=f"opt_value_{run_id}",
                                    help="A probability between 0 and 1 for a class."
                                    if cls is not None else None)
            goal = f"target={value}"
        held = st.multiselect("Hold these inputs at the profiler's values", feats,
                              key=f"opt_fix_{run_id}")
        if st.button("Find the best settings", key=f"opt_go_{run_id}", type="primary"):
            from kwk.evaluation.optimize import input_space
            from kwk.runs.bundle import load_bundle, repeat_dirs
            try:
                with st.spinner("Searching the inputs…"):
                    others = [load_bundle(r) for r in repeat_dirs(run["dir"])]
                    space = input_space(bundle, read_summary(run["dir"]), df)
                    state["best"] = optimize(bundle, goal, fixed={f: base[f] for f in held},
                                             cls=cls, space=space, others=others)
                    state["best_for"] = (goal, tuple(held), cls)
                    state.pop("best_sent", None)
            except KwkError as e:
                state.pop("best", None)
                show_error(e)
        best = state.get("best")
        if not best:
            return
        if state.get("best_for") != (goal, tuple(held), cls):
            st.caption("The settings below were found for another goal or other held inputs: "
                       "press **Find the best settings** again for these.")
        pred = best["prediction"]
        what = f"P({best['class']})" if best.get("class") is not None else y_title
        interval = best.get("interval")
        st.metric(f"Best {what} found", number_text(pred),
                  help=best.get("interval_note"))
        st.caption("This is the model's prediction at these settings, not a measurement: "
                   "check it on new data before relying on it, the more so at the edge of "
                   "the training rows' range.")
        if interval:
            st.caption(f"Across the run's seeds at these settings: {number_text(interval[0])} "
                       f"to {number_text(interval[1])}.")
        else:
            st.caption(best.get("interval_note", ""))
        table = pd.DataFrame({"input": list(best["settings"]),
                              "value": [number_text(v) if isinstance(v, float) else str(v)
                                        for v in best["settings"].values()],
                              "held": ["yes" if f in best["fixed"] else ""
                                       for f in best["settings"]]})
        st.dataframe(table, hide_index=True, width="stretch")
        b1, b2 = st.columns(2)
        b1.button("Show these on the profiler", key=f"opt_show_{run_id}",
                  on_click=_put_on_profiler, args=(run_id, best["settings"], kinds, grids))
        b2.button("Add as a row to score on Predict", key=f"opt_row_{run_id}",
                  on_click=_add_to_predict, args=(run_id, best["settings"]))
        if state.get("best_sent"):
            st.caption("Added to the rows to score on Predict ➡️")
