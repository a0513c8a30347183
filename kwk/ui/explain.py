"""Explanations on screen: why one row got its prediction (Predict), which columns matter over
the test rows (Evaluate), where a picture model looked and which words pushed a text model.

The Shapley work runs in a background :class:`kwk.evaluation.explain.Task`, kept in the session
(``explanations``) and polled by a fragment; the thread never calls Streamlit."""
from __future__ import annotations

import html
import time

import numpy as np
import pandas as pd
import streamlit as st

from kwk import plots
from kwk.errors import KwkError
from kwk.ui.session import session
from kwk.ui.state import cached_bundle, run_data, show_error, store

POLL_S = 1.0


def _tabular(spec: dict) -> bool:
    d = spec["data"]
    return not (d.get("sequence") or d.get("text") or d.get("image_shape"))


def _start(key: tuple, label: str, fn) -> None:
    from kwk.evaluation.explain import Task
    old = session().explanations.get(key)
    if old is not None and not old["task"].done:
        old["task"].stop()
    session().explanations[key] = {"label": label, "task": Task(fn, label).start(),
                                   "seen": False}


def _progress_or_error(entry: dict, stop_key: str) -> bool:
    """Draw a running task's progress (True) or its error (True); False when it has a result."""
    task = entry["task"]
    if not task.done:
        st.progress(task.fraction, text=f"Explaining {entry['label']}… "
                    f"{time.time() - task.started:.0f} s")
        if st.button("⏹️ Stop", key=stop_key):
            task.stop()
        return True
    if not entry["seen"]:  # once: rerun the whole page so the polling stops
        entry["seen"] = True
        st.rerun(scope="app")
    if task.error is not None:
        task_failed(task.error, "The explanation")
        return True
    return False


def task_failed(error: BaseException, what: str) -> None:
    """A background task's error on the page: a KwK error with its hint, else one line."""
    if isinstance(error, KwkError):
        show_error(error)
    else:
        st.error(f"{what} failed: {type(error).__name__}: {error}", icon="⚠️")


def _poll(fn, key: tuple):
    entry = session().explanations.get(key)
    running = entry is not None and not entry["task"].done
    st.fragment(fn, run_every=POLL_S if running else None)()


def _background(run: dict, run_id: str, fallback: pd.DataFrame | None, seed: int):
    """The training side of the run's data when it is loaded, else a sample of ``fallback``
    (the rows being predicted), with a sentence saying which."""
    from kwk.evaluation.explain import BACKGROUND_ROWS, background_for, sample_rows
    df = run_data(run)
    ev = store().evaluation(run_id)
    if df is not None and "test_rows" in ev:
        bg = background_for(df, ev["test_rows"], BACKGROUND_ROWS, seed)
        return bg, (f"The average prediction is over {len(bg)} training rows (outside the test "
                    "split).")
    if fallback is not None and len(fallback) >= 10:
        bg = sample_rows(fallback, BACKGROUND_ROWS, seed=seed)
        return bg, (f"The average prediction is over {len(bg)} of the rows being predicted; load "
                    "the training data on the Data page to compare with training rows instead.")
    raise KwkError("An explanation compares the row with typical rows, and none are at hand.",
                   "Load the data this run was trained on (Data page), or predict at least 10 "
                   "rows.")


# --------------------------------------------------------------------------- Predict: one row
def why_this_prediction(run: dict, run_id: str, rows: pd.DataFrame | None) -> None:
    """Predict page: pick a predicted row (or the profiler's values) and see a waterfall from
    the average prediction through each column's contribution to the row's prediction."""
    spec = run["spec"]
    st.subheader("🔍 Why this prediction?")
    d = spec["data"]
    mixed = bool(d.get("inputs"))
    if not _tabular(spec) and not mixed:
        if d.get("text"):
            _text_row(run, run_id, rows)
        elif d.get("sequence"):
            st.caption("Column contributions are for the rows of a table; a forecast reads a "
                       "window of rows. The Evaluate page's Importance tab shows which columns "
                       "the forecasts rely on.")
        else:
            st.caption("Column contributions are for tables; a picture model reads every pixel."
                       + (" The Evaluate page's Charts tab shows where the model looked in its "
                          "misclassified test pictures." if d["task"] != "regression" else ""))
        return
    ss = session()
    prof = None if mixed else ss.profiler.get(run_id)
    choices = (["a predicted row"] if rows is not None and len(rows) else []) + \
        (["the profiler's values"] if prof else [])
    if not choices:
        st.caption("Predict some rows above" + ("" if mixed else " (or set values in the "
                                                "Evaluate page's profiler)")
                   + ", then pick one to see how each of its columns moved the prediction"
                   + (" and which words of its text did." if d.get("text") else "."))
        return
    src = st.radio("Explain", choices, horizontal=True, key="why_source") \
        if len(choices) > 1 else choices[0]
    if src == "a predicted row":
        zero = rows.index.equals(pd.RangeIndex(len(rows)))  # the table above counts from 0
        first = 0 if zero else 1
        i = int(st.number_input(f"Row, as numbered in the table above ({first} to "
                                f"{len(rows) - 1 + first:,})", first, len(rows) - 1 + first,
                                first, key=f"why_row_{run_id}"))
        row, label = rows.iloc[[i - first]], f"row {i}"
    else:
        row, label = pd.DataFrame([prof["base"]]), "the profiler's values"
    if mixed:
        _mixed_button(run, run_id, row, label, (run_id, "mixed_row"), "why_go", rows)
        _poll(lambda: _show_mixed(run, (run_id, "mixed_row"), "why"), (run_id, "mixed_row"))
        return
    key = (run_id, "row")
    if st.button("🔍 Explain this row", key="why_go", type="primary",
                 help="Shapley contributions: each column's share of the difference between "
                 "this prediction and the average one (a few seconds)."):
        try:
            b = cached_bundle(run["dir"])
            bg, note = _background(run, run_id, rows, spec["training"]["seed"])
            seed = spec["training"]["seed"]

            def work(progress, stop):
                from kwk.evaluation.explain import explain_bundle
                e = explain_bundle(b, row, bg, seed=seed, progress=progress, stop=stop)
                e.notes.append(note)
                return e
            _start(key, label, work)
        except KwkError as e:
            show_error(e)
    _poll(lambda: _show_row(run, key), key)


def _show_row(run: dict, key: tuple) -> None:
    from kwk.evaluation.explain import describe, steps
    entry = session().explanations.get(key)
    if entry is None or _progress_or_error(entry, "why_stop"):
        return
    e = entry["task"].result
    if not e.n:
        st.info("Stopped before the row was explained.")
        return
    target = run["spec"]["data"]["target"]
    cls = None
    if e.classes is not None:
        cls = st.selectbox("Show the probability of", e.classes,
                           index=e.classes.index(e.predicted[0]), key="why_class",
                           help="The class the model predicts is preselected.")
    w = steps(e, 0, cls)
    title = f"Why {entry['label']} gets " + (f"{w['prediction']:.4g} ({target})" if cls is None
                                             else f"P({cls}) = {w['prediction']:.3f}")
    axis = f"predicted {target}" if cls is None else f"probability of '{cls}'"
    st.plotly_chart(plots.contribution_waterfall(w, title, axis), key="why_waterfall")
    st.markdown(describe(w))
    st.caption("How to read it: the first bar is the model's average prediction over typical "
               "rows; each next bar is how much this row's value of one column moved it "
               "(green up, red down); the last bar is this row's prediction. The steps add up "
               "exactly. " + " ".join(e.notes))


# --------------------------------------------------------------------------- mixed inputs
def _text_row(run: dict, run_id: str, rows: pd.DataFrame | None) -> None:
    """Predict page, a text model: the words of one predicted row that pushed its prediction."""
    if rows is None or not len(rows):
        st.caption("Predict some rows above, then pick one to see which of its words pushed "
                   "the prediction.")
        return
    col = run["spec"]["data"]["features"][0]
    zero = rows.index.equals(pd.RangeIndex(len(rows)))
    first = 0 if zero else 1
    i = int(st.number_input(f"Row, as numbered in the table above ({first} to "
                            f"{len(rows) - 1 + first:,})", first, len(rows) - 1 + first, first,
                            key=f"why_text_row_{run_id}"))
    _words_of(run, rows[col].iloc[i - first])


def _words_of(run: dict, text) -> None:
    from kwk.evaluation.explain import word_effects
    try:
        b = cached_bundle(run["dir"])
        effects, k, p = word_effects(b, text)
    except KwkError as e:
        show_error(e)
        return
    if not effects:
        st.info("This row's text holds no word.")
        return
    what = f"'{b.pre.classes[k]}' ({p:.0%})" if k >= 0 else f"{p:.4g}"
    st.markdown(f"Predicted {what}:")
    st.html(_highlight(effects))
    st.caption(_WORDS_HOW + ("towards " + f"'{b.pre.classes[k]}'" if k >= 0 else
                             "towards a higher value") + _WORDS_HOW_END)


_WORDS_HOW = "How to read it: green words pushed the prediction "
_WORDS_HOW_END = (", red words away from it; the stronger the colour, the more the prediction "
                  "changes when that word is left out (hover a word for the exact change).")


def _mixed_button(run: dict, run_id: str, row: pd.DataFrame, label: str, key: tuple,
                  button_key: str, fallback: pd.DataFrame | None) -> None:
    """The button that explains one row of a mixed model in the background."""
    if st.button("🔍 Explain this row", key=button_key, type="primary",
                 help="Each column's and the text's (or picture's) share of the difference "
                 "between this prediction and the average one (Shapley values), then the "
                 "words that moved it (each left out in turn). A few seconds."):
        try:
            b = cached_bundle(run["dir"])
            seed = run["spec"]["training"]["seed"]
            bg, note = _background(run, run_id, fallback, seed)

            def work(progress, stop):
                from kwk.evaluation.mixed import explain_row
                e = explain_row(b, row, bg, seed=seed, progress=progress, stop=stop)
                e.notes.append(note)
                return e
            _start(key, label, work)
        except KwkError as e:
            show_error(e)


def _show_mixed(run: dict, key: tuple, prefix: str) -> None:
    """A mixed model's row explanation: the waterfall of its parts, then its words."""
    from kwk.evaluation.explain import describe, steps
    entry = session().explanations.get(key)
    if entry is None or _progress_or_error(entry, f"{prefix}_mixed_stop"):
        return
    r = entry["task"].result
    e = r.parts
    if not e.n:
        st.info("Stopped before the row was explained.")
        return
    target = run["spec"]["data"]["target"]
    cls = None
    if e.classes is not None:
        cls = st.selectbox("Show the probability of", e.classes,
                           index=e.classes.index(e.predicted[0]), key=f"{prefix}_mixed_class",
                           help="The class the model predicts is preselected.")
    w = steps(e, 0, cls)
    title = f"Why {entry['label']} gets " + (f"{w['prediction']:.4g} ({target})" if cls is None
                                             else f"P({cls}) = {w['prediction']:.3f}")
    axis = f"predicted {target}" if cls is None else f"probability of '{cls}'"
    st.plotly_chart(plots.contribution_waterfall(w, title, axis), key=f"{prefix}_mixed_fall")
    st.markdown(describe(w))
    st.caption("How to read it: the first bar is the model's average prediction over typical "
               "rows; each next bar is how much this row's value of one column — its whole "
               "text, its whole picture — moved it (green up, red down); the last bar is this "
               "row's prediction. The steps add up exactly. " + " ".join(r.notes))
    if r.text_column is not None:
        effects = r.effects(cls)
        st.markdown(f"**Which words of '{r.text_column}' moved it**")
        if not effects:
            st.info("This row's text holds no word.")
            return
        st.html(_highlight(effects))
        st.caption(_WORDS_HOW + (f"towards '{cls}'" if cls is not None else
                                 "towards a higher value") + _WORDS_HOW_END
                   + " The row's other columns stay as they are.")


def mixed_row_view(run: dict, run_id: str, df: pd.DataFrame | None, ev: dict) -> None:
    """Evaluate page, a model with several inputs: why one test row got its prediction — each
    column's and the text's (or picture's) contribution, and the words that moved it;
    computed in the background when asked, kept per run and row."""
    inputs = run["spec"]["data"].get("inputs") or {}
    what = "columns and words" if "text" in inputs else "columns and its picture"
    st.markdown(f"**Why one test row got its prediction ({what})**")
    if df is None or "test_rows" not in ev:
        st.info("Load the data this run was trained on (same file) on the **Data** page to "
                "compute this: it needs the original rows.", icon="📂")
        return
    test_rows = np.asarray(ev["test_rows"])
    if not len(test_rows):
        return
    i = int(st.number_input(f"Test row (1 to {len(test_rows):,})", 1, len(test_rows), 1,
                            key=f"mixed_row_{run_id}"))
    row = df.iloc[[int(test_rows[i - 1])]]
    st.dataframe(row, hide_index=True, width="stretch")
    key = (run_id, "mixed_eval")
    _mixed_button(run, run_id, row, f"test row {i}", key, "mixed_go", None)
    if "image" in inputs:
        st.caption("The picture counts as one part of the row here (no pixel heat-map for a "
                   "model with several inputs).")
    _poll(lambda: _show_mixed(run, key, "eval"), key)


# --------------------------------------------------------------------------- Evaluate: global
def global_view(run: dict, run_id: str, df: pd.DataFrame | None, ev: dict) -> None:
    """Evaluate page: mean |contribution| bars and a beeswarm over a sample of test rows,
    computed in the background; saved with the run for the HTML report."""
    spec = run["spec"]
    if not _tabular(spec):
        return
    st.markdown("**Contributions of each column (SHAP)**")
    if df is None or "test_rows" not in ev:
        st.info("Load the data this run was trained on (same file) on the **Data** page to "
                "compute this: it needs the original rows.", icon="📂")
        return
    from kwk.evaluation.explain import GLOBAL_ROWS
    test_rows = np.asarray(ev["test_rows"])
    if not len(test_rows):
        return
    most = min(500, len(test_rows))
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    n = c1.slider("Test rows to explain", 1, most, min(GLOBAL_ROWS, most), key="shap_rows",
                  help="Each row takes a fraction of a second; more rows give a steadier "
                  "picture.") if most > 1 else most
    key = (run_id, "global")
    if c2.button("Compute contributions", key="shap_go", type="primary"):
        b = cached_bundle(run["dir"])
        seed = spec["training"]["seed"]
        pick = np.sort(np.random.default_rng(seed).choice(test_rows, n, replace=False))
        rows = df.iloc[pick]
        from kwk.evaluation.explain import BACKGROUND_ROWS, background_for
        bg = background_for(df, test_rows, BACKGROUND_ROWS, seed)
        run_dir = run["dir"]

        def work(progress, stop):
            from kwk.evaluation.explain import explain_bundle, global_summary, save_global
            e = explain_bundle(b, rows, bg, seed=seed, progress=progress, stop=stop)
            if e.n:
                save_global(run_dir, global_summary(e))
            return e
        _start(key, f"{n} test rows", work)
    _poll(lambda: _show_global(run, key), key)


def _show_global(run: dict, key: tuple) -> None:
    from kwk.evaluation.explain import bars_axis, contribution_axis, global_summary
    entry = session().explanations.get(key)
    if entry is None or _progress_or_error(entry, "shap_stop"):
        return
    e = entry["task"].result
    if not e.n:
        st.info("Stopped before any row was explained.")
        return
    cls = None
    if e.classes is not None and len(e.classes) > 2:
        cls = st.selectbox("Rows' contributions to the probability of", e.classes,
                           key="shap_class")
    g = global_summary(e, cls)
    task, target = run["spec"]["data"]["task"], run["spec"]["data"]["target"]
    c1, c2 = st.columns(2)
    c1.plotly_chart(plots.contribution_bars(g["importance"], bars_axis(task, target, g)),
                    key="shap_bars")
    c2.plotly_chart(plots.beeswarm(g["beeswarm"], contribution_axis(task, target, g["class"])),
                    key="shap_swarm")
    c1.caption("How to read it: the longer the bar, the more that column moves this model's "
               "predictions on average, in either direction (unlike permutation importance, "
               "which measures how much worse the predictions get without it).")
    c2.caption("How to read it: each dot is one test row; right of zero the column's value "
               "raised the prediction, left of it lowered it. Red dots are high values, blue "
               "low (grey: labels), so red on the right means 'the higher this value, the "
               "higher the prediction'.")
    st.caption(f"{e.n} test rows explained in {entry['task'].seconds:.0f} s, against "
               f"{e.background_rows} training rows; saved with the run for its report.")


# --------------------------------------------------------------------------- pictures, texts
HEAT_PX = 144  # a heat-map thumbnail's width on screen: big enough to read the overlay
HEAT_PER_ROW = 6


def _saliency_entry(run_id: str, fingerprint: str | None) -> dict:
    """This run's heat-maps in the session: ``maps`` (test row position -> (map, class)),
    filled by the background task, for the data with ``fingerprint``. Another run's entry is
    stopped and dropped, and so is this run's when other data is loaded: a map belongs to one
    run and its rows."""
    ex = session().explanations
    for k in [k for k in ex if len(k) == 2 and k[1] == "saliency"]:
        e = ex[k]
        if k[0] != run_id or e["fingerprint"] != fingerprint:
            if e["task"] is not None:
                e["task"].stop()
            del ex[k]
    return ex.setdefault((run_id, "saliency"), {"fingerprint": fingerprint, "maps": {},
                                                "task": None, "positions": None, "seen": True})


def _start_heatmaps(entry: dict, run: dict, df: pd.DataFrame, test_rows: np.ndarray,
                    positions: list[int]) -> None:
    from kwk.evaluation.explain import Task
    from kwk.evaluation.saliency import heatmaps
    from kwk.runs.bundle import load_bundle
    rows = df.iloc[positions]
    ref = df.iloc[np.setdiff1d(np.arange(len(df)), test_rows)[:200]]
    maps, run_dir = entry["maps"], run["dir"]

    def work(progress, stop):
        return heatmaps(run_dir, rows, positions, ref, maps, progress=progress, stop=stop,
                        load=load_bundle)
    entry.update(task=Task(work, "heat-maps").start(), positions=tuple(positions), seen=False)


def picture_heatmaps(run: dict, df: pd.DataFrame, test_rows, wrong: pd.DataFrame,
                     shape: tuple, classes: list[str], limit: int = 8) -> None:
    """Evaluate page: where the model looked, over the most confident mistakes and any test
    picture the user picks (integrated gradients of the predicted class). The maps are
    computed in a background task (kwk.evaluation.saliency), kept per run and test row, and
    fill in as they come; the page never waits for them."""
    from kwk.evaluation.saliency import MAX_PICTURES
    st.markdown("**Where the model looked** (red: the pixels that pushed it to its answer)")
    test_rows = np.asarray(test_rows)
    if not len(test_rows):
        return
    picks = wrong.sort_values("probability", ascending=False).head(min(limit, MAX_PICTURES - 1))
    chosen = int(st.number_input(f"…and test picture number (1 to {len(test_rows):,})", 1,
                                 len(test_rows), 1, key="sal_pick"))
    positions = [int(p) for p in (*test_rows[picks["position"].to_numpy()],
                                  test_rows[chosen - 1])]
    ld = session().data
    entry = _saliency_entry(run["id"], ld.fingerprint if ld is not None else None)
    task = entry["task"]
    missing = [p for p in positions if p not in entry["maps"]]
    idle = task is None or task.done
    if missing and idle and entry["positions"] != tuple(positions):  # once by itself
        _start_heatmaps(entry, run, df, test_rows, positions)
    elif missing and idle and st.button("▶️ Draw the rest of the heat-maps", key="sal_go"):
        _start_heatmaps(entry, run, df, test_rows, positions)
    truth = df.iloc[positions[-1]][run["spec"]["data"]["target"]]
    labels = [f"true **{a}**, said **{p}**" for a, p in zip(picks["actual"], picks["predicted"])]
    labels.append(f"test picture {chosen}: true **{truth}**")
    pixels = df.iloc[positions][run["spec"]["data"]["features"]].to_numpy(dtype=float)
    running = entry["task"] is not None and not entry["task"].done
    st.fragment(lambda: _show_heatmaps(entry, positions, pixels, shape, labels, classes),
                run_every=POLL_S if running else None)()
    st.caption("How to read it: the redder a pixel, the more it moved the model towards the class "
               "it answered (integrated gradients from an average training picture). Mistakes "
               "often look at the wrong place — a border, a smudge — rather than the shape.")


def _show_heatmaps(entry: dict, positions: list[int], pixels: np.ndarray, shape: tuple,
                   labels: list[str], classes: list[str]) -> None:
    """The heat-maps done so far (the plain picture where a map is still to come), with the
    task's progress and a Stop button while it runs."""
    from kwk.evaluation.explain import overlay
    from kwk.evaluation.saliency import MAX_SECONDS
    from kwk.ui.images import enlarge, pixels_to_images
    task, maps = entry["task"], dict(entry["maps"])
    if task is not None and not task.done:
        done = sum(p in maps for p in positions)
        st.progress(done / len(positions), text=f"Following the gradients… {done} of "
                    f"{len(positions)} heat-maps, {time.time() - task.started:.0f} s")
        if st.button("⏹️ Stop", key="sal_stop", help="Stops after the picture being worked "
                     "on; the maps already drawn stay."):
            task.stop()
    elif task is not None:
        if not entry["seen"]:  # once: rerun the whole page so the polling stops
            entry["seen"] = True
            st.rerun(scope="app")
        if task.error is not None:
            task_failed(task.error, "The heat-maps")
            return
        s = task.result or {}
        if s.get("stopped") or s.get("timed_out"):
            left = sum(p not in maps for p in positions)
            if left:
                st.caption(f"{left} heat-map(s) not drawn: "
                           + ("stopped." if s.get("stopped") else
                              f"the work stops after {MAX_SECONDS:.0f} s."))
    imgs = pixels_to_images(pixels, shape)
    for start in range(0, len(positions), HEAT_PER_ROW):
        cols = st.columns(HEAT_PER_ROW)
        for slot, pos, img, cap in zip(cols, positions[start:start + HEAT_PER_ROW],
                                       imgs[start:start + HEAT_PER_ROW],
                                       labels[start:start + HEAT_PER_ROW]):
            if pos in maps:
                heat, k = maps[pos]
                slot.image(enlarge(overlay(img, heat), HEAT_PX), width=HEAT_PX)
                if cap.startswith("test picture"):
                    cap += f", said **{classes[k]}**"
            else:
                slot.image(enlarge(img, HEAT_PX), width=HEAT_PX, clamp=True)
                cap += " · *heat-map to come*"
            slot.caption(cap)


def _highlight(effects: list[tuple[str, float]]) -> str:
    top = max((abs(v) for _, v in effects), default=0.0) or 1.0
    out = []
    for w, v in effects:
        a = min(1.0, abs(v) / top) * 0.75
        color = f"rgba(22,163,74,{a:.2f})" if v > 0 else f"rgba(220,38,38,{a:.2f})"
        out.append(f"<span title='{v:+.3f}' style='background:{color};padding:1px 3px;"
                   f"border-radius:3px'>{html.escape(w)}</span>")
    return "<div style='line-height:2'>" + " ".join(out) + "</div>"


def text_words(run: dict, texts: list[str], label: str = "A misclassified text") -> None:
    """Evaluate page: the words that pushed a text model's prediction, highlighted (occlusion:
    the prediction with and without each word)."""
    from kwk.evaluation.explain import word_effects
    st.markdown("**Which words pushed the prediction**")
    options = [t for t in texts if isinstance(t, str) and t.strip()][:50]
    choice = st.selectbox(label, options, key="words_pick") if options else None
    typed = st.text_input("…or type a text", key="words_typed",
                          placeholder="e.g. the delivery was late and the box broken")
    text = typed.strip() or choice
    if not text:
        return
    try:
        b = cached_bundle(run["dir"])
        effects, k, p = word_effects(b, text)
    except KwkError as e:
        show_error(e)
        return
    what = f"'{b.pre.classes[k]}' ({p:.0%})" if k >= 0 else f"{p:.4g}"
    st.markdown(f"Predicted {what}:")
    st.html(_highlight(effects))
    st.caption("How to read it: green words pushed the prediction towards "
               + (f"'{b.pre.classes[k]}'" if k >= 0 else "a higher value") + ", red words away "
               "from it; the stronger the colour, the more the prediction changes when that word "
               "is left out (hover a word for the exact change).")
