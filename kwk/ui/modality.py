"""The Target page's modality choice ("what kind of data is it?"): a table, pictures in pixel
columns, time series or text, with the settings each modality needs (image shape; time, series,
window and horizon; text column, vocabulary and length)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from kwk.data.pixels import pixel_columns
from kwk.spec import SEQUENCE_PARAMS, TEXT_PARAMS
from kwk.catalog.presets import DEFAULT_FOR_MODALITY
from kwk.ui.state import profile_kinds, set_modality
from kwk.ui.session import session

MODALITY_LABELS = {"table": "📋 Rows of a table", "images": "🖼️ Pictures (pixel columns)",
                   "series": "📈 Time series", "text": "📝 Text",
                   "table_text": "📋+📝 A table with a text column",
                   "table_images": "📋+🖼️ A table with pictures"}
_HELP = {p.name: p.help for p in (*SEQUENCE_PARAMS, *TEXT_PARAMS)}


def _guess_shape(n: int) -> list[int]:
    for channels in (1, 3):
        side = math.isqrt(n // channels)
        if n % channels == 0 and side * side * channels == n:
            return [side, side, channels]
    return [1, n, 1]


def modality_settings() -> None:
    ss = session()
    df = ss.data.df
    cols = [str(c) for c in df.columns]
    kinds = profile_kinds()
    chosen = st.radio("What kind of data is it?", list(MODALITY_LABELS),
                    index=list(MODALITY_LABELS).index(ss.modality), format_func=MODALITY_LABELS.get,
                    horizontal=True, key="modality_radio",
                    help="Rows of a table are independent examples. Pictures: each row holds "
                         "the pixels of one image. Time series: rows are ordered in time and "
                         "the model forecasts from the recent past. Text: one column holds "
                         "text the model reads. A table with a text column or with pictures: "
                         "one network reads both, each through its own branch of layers.")
    if chosen != ss.modality:
        if set_modality(chosen):
            st.toast(f"The layers were replaced by the '{DEFAULT_FOR_MODALITY[chosen]}' template, "
                     "made for this kind of data.", icon="🧱")
        st.rerun()
    others = [c for c in cols if c != ss.target]
    if chosen == "images":
        _image_settings(df, others)
    elif chosen == "series":
        _series_settings(others, kinds)
    elif chosen == "text":
        _text_settings(others, kinds)
    elif chosen == "table_text":
        _text_settings(others, kinds)
        st.caption("📋+📝 The text column is read by the **text branch**; every other usable "
                   "column by the **table branch**. Their outputs are joined and the layers "
                   "after the merge read both (Build page).")
    elif chosen == "table_images":
        _pixel_group_settings(df, others)


def _image_settings(df: pd.DataFrame, others: list[str]) -> None:
    ss = session()
    if ss.data.image_shape is not None:
        h, w, c = ss.data.image_shape
        st.caption(f"Pictures of {h}×{w} pixels, {'grey' if c == 1 else 'colour'}, as read "
                   "from the file.")
        ss.image_shape = list(ss.data.image_shape)
        return
    pixels = pixel_columns(df[others], None, ss.roles)  # the one rule, as the spec counts them
    shape = ss.image_shape or _guess_shape(len(pixels))
    ss.image_shape = _shape_inputs(shape)
    st.caption(f"The {len(pixels):,} pixel columns (the px_… columns when the file has them, "
               "else the numeric columns other than the target) are the pixels, row by row, in "
               "column order. Mark any other column 'ignore' on the Data page.")


def _shape_inputs(shape: list[int]) -> list[int]:
    """Height, width and colour channels of the pictures, starting from ``shape``."""
    c1, c2, c3 = st.columns(3)
    h = c1.number_input("Height (pixels)", 1, 4096, int(shape[0]), key="img_h")
    w = c2.number_input("Width (pixels)", 1, 4096, int(shape[1]), key="img_w")
    ch = c3.selectbox("Channels", [1, 3], index=0 if shape[2] == 1 else 1, key="img_c",
                      format_func=lambda v: "1 (grey)" if v == 1 else "3 (colour, RGB)")
    return [int(h), int(w), int(ch)]


def _pixel_group_settings(df: pd.DataFrame, others: list[str]) -> None:
    """A table with pictures: the numbered columns (px_0 …) are the pixels, the rest the
    table."""
    from kwk.data.pixels import numbered_groups
    ss = session()
    groups = numbered_groups(others)
    if not groups:
        st.warning("No pixel columns found: name them px_0, px_1, … (or pixel1, pixel2, …), "
                   "one per pixel, row by row.", icon="🖼️")
        return
    prefix = max(groups, key=lambda k: len(groups[k]))
    pixels = groups[prefix]
    shape = ss.image_shape if ss.image_shape and math.prod(ss.image_shape) == len(pixels) \
        else _guess_shape(len(pixels))
    ss.image_shape = _shape_inputs(shape)
    st.caption(f"📋+🖼️ The {len(pixels):,} columns {pixels[0]} … {pixels[-1]} are the pixels, "
               "read by the **image branch**; the other usable columns by the **table "
               "branch**. Their outputs are joined and the layers after the merge read both "
               "(Build page).")


def _series_settings(others: list[str], kinds: dict) -> None:
    ss = session()
    seq = dict(ss.sequence or {})
    dates = [c for c in others if kinds.get(c) == "datetime"]
    time_opts = dates + [c for c in others if c not in dates]
    if not time_opts:
        st.warning("A time series needs a column that orders the rows in time.", icon="📈")
        return
    c1, c2, c3, c4 = st.columns([3, 3, 2, 2])
    t = seq.get("time") if seq.get("time") in time_opts else time_opts[0]
    time = c1.selectbox("Time column", time_opts, index=time_opts.index(t), key="seq_time",
                        help=_HELP["time"])
    # labels first; numbers too (a store or sensor number is an id), the target excepted
    likely = [c for c in others if c != time and kinds.get(c) in ("categorical", "identifier",
                                                                   "boolean")]
    group_opts = ["— one series —"] + likely + [c for c in others if c != time and c not in likely]
    g = seq.get("group") if seq.get("group") in group_opts else group_opts[0]
    group = c2.selectbox("Series (group) column", group_opts, index=group_opts.index(g),
                         key="seq_group", help=_HELP["group"])
    window = c3.number_input("Look-back window (rows)", 1, 1000, int(seq.get("window", 12)),
                             key="seq_window", help=_HELP["window"])
    horizon = c4.number_input("Horizon (rows ahead)", 1, 1000, int(seq.get("horizon", 1)),
                              key="seq_horizon", help=_HELP["horizon"])
    modes = {"change": "the change from the last value", "value": "the value itself"}
    predict = st.radio("The network forecasts", list(modes), format_func=modes.get,
                       index=0 if seq.get("predict", "change") == "change" else 1,
                       key="seq_predict", horizontal=True, help=_HELP["predict"])
    ss.sequence = {"time": time, "group": None if group == group_opts[0] else group,
                   "window": int(window), "horizon": int(horizon), "predict": predict}
    step = _time_step(ss.data.fingerprint, time, ss.data.df)
    if step:
        from kwk.data.times import in_steps
        st.caption(f"📅 One row is one {step} of a series: the network looks back "
                   f"**{in_steps(int(window), step)}** and forecasts **{in_steps(int(horizon), step)}"
                   f"** ahead.")
    st.caption("🕒 The split is **chronological**: the model trains on the earliest period, is "
               "tuned on the next and tested on the latest, so it never learns from the future. "
               "Each forecast sees the last rows of its own series.")


@st.cache_data(show_spinner=False, max_entries=16)
def _time_step(fingerprint: str, column: str, _df: pd.DataFrame) -> str | None:
    """The step between the times of a series in words (once per data and column)."""
    from kwk.data.times import time_step
    try:
        return time_step(_df[column])
    except (ValueError, TypeError, OverflowError):
        return None


def _text_settings(others: list[str], kinds: dict) -> None:
    ss = session()
    txt = dict(ss.text or {})
    texts = [c for c in others if kinds.get(c) == "text"]
    opts = texts + [c for c in others if c not in texts]
    col = txt.get("column") if txt.get("column") in opts else opts[0]
    c1, c2, c3 = st.columns([3, 2, 2])
    column = c1.selectbox("Text column", opts, index=opts.index(col), key="text_column",
                          help="The column that holds the text the model reads.")
    max_tokens = c2.number_input("Vocabulary (words kept)", 10, 200_000,
                                 int(txt.get("max_tokens", 10_000)), step=500,
                                 key="text_max_tokens", help=_HELP["max_tokens"])
    length = c3.number_input("Words read per text", 1, 5000, int(txt.get("sequence_length", 100)),
                             key="text_length", help=_HELP["sequence_length"])
    ss.text = {"column": column, "max_tokens": int(max_tokens), "sequence_length": int(length)}
    words = _word_counts(ss.data.fingerprint, column, ss.data.df)
    if words is not None:
        st.caption(f"Texts in '{column}' have {words[0]} words (median), {words[1]} at the 90th "
                   "percentile. The model itself turns raw text into word numbers, so the saved "
                   "model takes text as it is.")


@st.cache_data(show_spinner=False, max_entries=8)
def _word_counts(fingerprint: str, column: str, _df: pd.DataFrame):
    """Median and 90th percentile of words per text (once per data and column)."""
    words = _df[column].dropna().astype(str).str.split().str.len()
    return (int(words.median()), int(words.quantile(0.9))) if len(words) else None


@st.cache_data(show_spinner=False, max_entries=8)
def _series_figure(fingerprint: str, time: str, group: str | None, target: str, _df: pd.DataFrame):
    """The target over time per series (once per data and settings, not per rerun)."""
    from kwk.plots import series_chart
    from kwk.prep.series import series_labels, series_order, time_axis
    order, times = series_order(_df, time, group)
    rows = _df.iloc[order[~np.isnan(times)]]  # as in training: rows with a time and a series
    x = time_axis(rows[time])
    groups = series_labels(rows[group]) if group else None
    fig = series_chart(x, pd.to_numeric(rows[target], errors="coerce"), groups, target)
    return fig, (groups.nunique() if groups is not None else 1)


def modality_preview(df: pd.DataFrame, target: str) -> bool:
    """A picture of the data for its kind (the target over time; example texts). Returns False
    when the kind has none, so the page shows the target's distribution instead."""
    ss = session()
    if ss.modality == "series" and ss.sequence and ss.sequence.get("time") in df.columns:
        seq = ss.sequence
        fig, n_series = _series_figure(ss.data.fingerprint, seq["time"], seq["group"], target, df)
        st.plotly_chart(fig, key="series_preview")
        if n_series > 8:
            st.caption(f"Showing 8 of {n_series} series.")
        return True
    if ss.modality in ("text", "table_text") and ss.text and ss.text.get("column") in df.columns:
        col = ss.text["column"]
        ex = df[[target, col]].dropna().groupby(target, sort=True).head(2) \
            .sort_values(target, kind="stable")
        st.markdown("**Example texts per class**" if ex[target].nunique() <= 20 else
                    "**Example texts**")
        st.dataframe(ex.head(40), hide_index=True, width="stretch")
        return False
    return False
