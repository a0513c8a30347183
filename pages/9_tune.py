"""Tune: search for a better network (Optuna) around the one on the Build page."""
import pandas as pd
import streamlit as st

from kwk.errors import KwkError
from kwk.prep.prepare import prepare
from kwk.tune.space import METRICS, propose, rows_to_space, space_rows
from kwk.ui import words
from kwk.ui.jobpanel import JobPanel, queue_notice, stop_button
from kwk.ui.model_info import resolved_task
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import session
from kwk.ui.state import job_services, need_target, owner, profile_kinds, session_spec, \
    show_error, store
from kwk.ui.tables import NICE
from kwk.ui.tune import (keep_option, kept_index, leaderboard_table, outcome_section,
                         study_figures, widget_digest)
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()
ss = session()
st.title("🎛️ Tune: find a better network")
gate, _ = job_services()
panel = JobPanel("tune", "tune_job", "tune_done_seen")
if panel.attach() is None and not need_target():  # ?tune=: found again after a reload
    stop_page()
panel.settle()
job = ss.tune_job
running = job is not None and not job.done
st.caption("KwK trains many variants of your network — other sizes, depths, activations, "
           "learning rates — and keeps the one that scores best on the **validation** rows. "
           "The test rows stay unseen until the end, when only the chosen network is scored on "
           "them, beside your own.")

if ss.data is not None and ss.target and not running:
    spec = session_spec()
    layers = spec["layers"]
    key = (ss.spec_version, repr(layers), repr(spec["training"]))
    if ss.tune_space is None or ss.tune_space[0] != key:
        ss.tune_space = (key, space_rows(propose(spec, len(ss.data.df), data=ss.data.df), layers))
    st.markdown("**What to search** — switch a row off to keep your value; edit the ranges, or "
                "the choices (comma-separated).")
    edited = st.data_editor(
        pd.DataFrame(ss.tune_space[1]), hide_index=True, width="stretch",
        key=f"tune_space_{widget_digest(key)}", disabled=["setting", "key"],
        column_config={
            "search": st.column_config.CheckboxColumn("on", help="Search this setting"),
            "setting": st.column_config.TextColumn("setting"),
            "key": st.column_config.TextColumn("spec key", help="The path in the spec JSON"),
            "low": st.column_config.TextColumn("low", help="A number; — for a setting "
                                               "searched over its choices"),
            "high": st.column_config.TextColumn("high", help="A number; — for a setting "
                                                "searched over its choices"),
            "log": st.column_config.CheckboxColumn("log scale", help="Try small values as "
                                                   "often as large ones (sizes, rates)"),
            "choices": st.column_config.TextColumn("choices")})
    space, problems = rows_to_space(edited.to_dict("records"), layers)
    task = resolved_task()
    metrics = ["auto"] + [m for m in METRICS if (m in ("r2", "rmse", "mae")) ==
                          (task == "regression")]
    c = st.columns(4)
    last = job.trials if job is not None else (spec.get("tune") or {}).get("trials", 20)
    trials = c[0].number_input("Trials", 1, 1000, int(last),
                               help="How many networks to try at most.", key="tune_trials")
    minutes = c[1].number_input("Minutes at most", 0.5, 600.0,
                                float(job.minutes) if job is not None and job.minutes else 5.0,
                                step=0.5, key="tune_minutes",
                                help="The whole search, counting the training of the "
                                "chosen network and of yours once more at the end: the trials "
                                "stop early enough to leave those their time (estimated from "
                                "the longest trial).")
    kept = ss.tune_options  # the widgets' keys go when another page runs; these stay
    metric = c[2].selectbox("Score by", metrics, index=kept_index(metrics, kept.get("metric")),
                            key="tune_metric", on_change=keep_option, args=("metric",),
                            help="auto: balanced accuracy for classes, R² for numbers, RMSE "
                            "for time series.")
    pruners = ["hyperband", "median", "none"]
    pruner = c[3].selectbox("Stop hopeless trials early", pruners,
                            index=kept_index(pruners, kept.get("pruner")), key="tune_pruner",
                            on_change=keep_option, args=("pruner",),
                            help="Pruning ends a trial whose validation score trails the others "
                            "at the same epoch, to try more networks.")
    for p in problems:
        st.error(p, icon="⚠️")
    if not space:
        st.warning("Switch at least one setting on to search.", icon="🎛️")
    if st.button("🔎 Find a better network", type="primary", key="tune_start",
                 disabled=bool(problems) or not space):
        from kwk.runs.service import DataSource
        from kwk.tune.job import TuneJob
        try:
            with st.spinner("Preparing the data once for every trial…"):
                prep = prepare(ss.data.df, spec, profile_kinds())
            tune = {"space": space, "metric": metric, "pruner": pruner, "trials": int(trials)}
            panel.started(TuneJob(prep, DataSource.of(ss.data), store().root, owner(), tune,
                                  trials=int(trials), minutes=float(minutes), gate=gate).start())
            st.rerun()
        except KwkError as e:
            show_error(e)


def live(job):
    if job is None:
        return
    s = job.snapshot()
    search = job.search
    queue_notice(s, "The search starts by itself.")
    counts = search.counts()
    best = search.best()
    # Trials are numbered as the leaderboard numbers them (from 1, over the whole study)
    head = (f"{s['ran']} of {s['wanted']} trials of this search done"
            if s["status"] in ("running", "stopping") and not s["phase"].startswith("Training")
            else s["status"].capitalize())
    st.progress(min(1.0, s["ran"] / max(1, s["wanted"])) if not job.done else 1.0,
                text=f"{head} — {counts['complete']} complete, {counts['pruned']} pruned, "
                     f"{counts['failed']} failed · {s['elapsed']:.0f} s")
    if s["trial"] is not None and s["epochs"]:
        fold = f", fold {s['fold']}" if s["fold"] else ""
        st.caption(f"⏳ Trial {s['trial']}{fold}: epoch {s['epoch']} of at most {s['epochs']}")
    if s["phase"] and s["phase"] != "Searching":
        st.caption(f"⏳ {s['phase']}…")
    if s["status"] == "failed":
        show_error(job.error)
    elif job.done and job.best_result is not None:
        outcome_section(job, s["message"])  # the verdict leads, then the trials
        st.subheader("Every trial of the search")
    c = st.columns(3)
    label = NICE.get(search.metric, search.metric)
    label = label if label[:2] in ("R²", "RM", "MA", "RO", "F1") else label[0].lower() + label[1:]
    c[0].metric(f"Best {label} (validation)", "—" if best is None else
                f"{best['value']:.4f}", help="The best trial's score on the validation rows.")
    own = search.own()
    c[1].metric("Your network (validation)", "—" if not own or own["value"] is None
                else f"{own['value']:.4f}")
    c[2].metric("Trials in this study", sum(counts.values()),
                help="Trials from earlier searches of the same data and network count too.")
    stop_button(job, s, "tune_stop", "No new trials; the finished ones are kept and the best "
                "so far is trained and compared.", again=True)
    board = search.leaderboard()
    if board:
        st.dataframe(leaderboard_table(board, search), hide_index=True, width="stretch",
                     height=min(400, 38 + 35 * len(board)))
        figs = study_figures(search)
        if figs:
            tabs = st.tabs([name for name, _ in figs])
            for tab, (name, fig) in zip(tabs, figs):
                tab.plotly_chart(fig, key=f"tune_fig_{name}")


panel.show(live)
words.on_page(["tuning", "hyperparameter", "validation", "test set", "cross-validation", "seed"],
              key="tune_words")
