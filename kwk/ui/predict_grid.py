"""Predict: rows typed or pasted in an editable grid, and the predictions shown first.

The grid's columns, their kinds and the training labels come from the run's fitted
preprocessing (:func:`kwk.runs.fit.editor_columns_of`); the checks that refuse a value the
model cannot read, naming its row and column, are :func:`kwk.prep.editor.typed_rows_problems`.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kwk.ui.session import session


def grid_config(columns: list[dict]) -> dict:
    """``st.data_editor`` column settings for the columns a model reads
    (:func:`kwk.prep.editor.editor_columns`): numbers as number cells, categories as a choice
    of the training labels, booleans as ticks (or a choice when their labels are not
    True/False), dates and texts as text."""
    cc = st.column_config
    out = {}
    for c in columns:
        name, kind, levels = c["name"], c["kind"], c["levels"]
        if kind == "numeric":
            out[name] = cc.NumberColumn(name, help="A number (empty: filled as in training).")
        elif kind == "boolean" and set(levels) <= {"True", "False"}:
            out[name] = cc.CheckboxColumn(name, help="Yes (ticked) or no.")
        elif kind in ("categorical", "boolean"):
            out[name] = cc.SelectboxColumn(name, options=levels,
                                           help="One of the labels seen in training.")
        elif kind == "datetime":
            out[name] = cc.TextColumn(name, help="A date, e.g. 2024-05-31 or 2024-05-31 14:30.")
        else:
            out[name] = cc.TextColumn(name, help="Text.")
    return out


def predict_grid(run: dict, run_id: str) -> tuple[str, pd.DataFrame] | None:
    """An editable grid of rows (add, edit, paste; each column as the model read it in
    training) and a button to predict them. Returns ``(source id, rows)`` when the button was
    pressed and every value can be read, else None (the problems are shown, each naming its
    row and column). Pictures are not typed: their rows come as a zip."""
    from kwk.prep.editor import starting_rows, typed_rows, typed_rows_problems
    from kwk.runs.fit import editor_columns_of
    spec = run["spec"]
    if spec["data"].get("image_shape"):
        return None
    ss = session()
    columns = editor_columns_of(run["dir"])
    if ss.pred_grid is None or ss.pred_grid[0] != run_id:
        ss.pred_grid = (run_id, starting_rows(columns), 0)
    _, start, version = ss.pred_grid
    st.markdown("**…or type or paste rows** (add a row at the bottom of the grid; paste "
                "cells copied from a spreadsheet)")
    edited = st.data_editor(start, num_rows="dynamic", hide_index=True, width="stretch",
                            column_config=grid_config(columns),
                            key=f"pred_grid_{run_id}_{version}")
    if not st.button("Predict these rows", key="pred_typed"):
        return None
    rows = typed_rows(edited)
    if not len(rows):
        st.error("The grid has no values: type at least one row.", icon="⚠️")
        return None
    problems = typed_rows_problems(rows, columns)
    if problems:
        st.error("These values cannot be read as the model read its training rows:\n\n"
                 + "\n".join(f"- {p}" for p in problems[:20])
                 + (f"\n- … and {len(problems) - 20} more" if len(problems) > 20 else ""),
                 icon="⚠️")
        return None
    # the grid starts from these rows from now on (a fresh grid: its edits are in them)
    ss.pred_grid = (run_id, rows.copy(), version + 1)
    return f"typed:{version}", rows


def prediction_first(pred: pd.DataFrame, rows: pd.DataFrame | None) -> tuple[pd.DataFrame,
                                                                            dict]:
    """The predictions table with what the model added (the prediction, each class's
    probability, what was unusual) first and pinned, then the rows' own columns: the answer
    is never off to the right of the inputs. Returns ``(table, column_config)``."""
    given = set(rows.columns) if rows is not None else set()
    added = [c for c in pred.columns if c not in given]
    lead = ([c for c in added if c == "prediction"] + [c for c in added if c != "prediction"
                                                        and c != "unusual"]
            + [c for c in added if c == "unusual"])
    out = pred[lead + [c for c in pred.columns if c not in lead]]
    config = {c: st.column_config.Column(pinned=True) for c in lead if c != "unusual"}
    for c in lead:
        if c.lstrip("_").startswith("proba_"):
            config[c] = st.column_config.NumberColumn(pinned=True, format="%.3f")
    return out, config
