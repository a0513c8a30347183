"""Tune: search for a better network (Optuna) around the one on the Build page."""
import pandas as pd
import streamlit as st

from kwk.errors import KwkError
from kwk.training import prepare
from kwk.tune.space import METRICS, propose, rows_to_space, space_rows
from kwk.ui.model_info import resolved_task
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import session
from kwk.ui.state import job_services, need_target, owner, profile_kinds, session_spec, \
    show_error, store, use_model
from kwk.ui.tables import NICE
from kwk.ui.tune import comparison_table, leaderboard_table, own_network_note, study_figures, \
    verdict_message

ensure_navigation()
ss = session()
st.title("🎛️ Tune: find a better network")
gate, registry = job_services()
if ss.tune_job is None and st.query_params.get("tune"):  # after a browser reload
    ss.tune_job = registry.get(st.query_params["tune"], owner())
if ss.tune_job is None and not need_target():
    st.stop()

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
        ss.tune_space = (key, space_rows(propose(spec, len(ss.data.df)), layers))
    st.markdown("**What to search** — switch a row off to keep your value; edit the ranges, or "
                "the choices (comma-separated).")
    edited = st.data_editor(
        pd.DataFrame(ss.tune_space[1]), hide_index=True, width="stretch",
        key=f"tune_space_{hash(key) & 0xFFFF}", disabled=["setting", "key"],
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
    metric = c[2].selectbox("Score by", metrics, key="tune_metric", help="auto: balanced "
                            "accuracy for classes, R² for numbers, RMSE for time series.")
    pruner = c[3].selectbox("Stop hopeless trials early", ["hyperband", "median", "none"],
                            key="tune_pruner", help="Pruning ends a trial whose validation "
                            "score trails the others at the same epoch, to try more networks.")
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
            ss.tune_job = TuneJob(prep, DataSource.of(ss.data), store().root, owner(), tune,
                                  trials=int(trials), minutes=float(minutes), gate=gate).start()
            st.query_params["tune"] = registry.add(ss.tune_job, owner())
            st.rerun()
        except KwkError as e:
            show_error(e)


def live():
    job = ss.tune_job
    if job is None:
        return
    s = job.snapshot()
    search = job.search
    if s["status"] == "queued":
        st.info(f"Waiting for a free training slot: number {s['queue_position'] or 1} in the "
                "queue. The search starts by itself.", icon="⏳")
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
    if s["status"] in ("running", "queued", "stopping"):
        if st.button("⏹️ Stop", key="tune_stop", help="No new trials; the finished ones are "
                     "kept and the best so far is trained and compared."):
            job.stop()
            st.rerun()
    board = search.leaderboard()
    if board:
        st.dataframe(leaderboard_table(board, search), hide_index=True, width="stretch",
                     height=min(400, 38 + 35 * len(board)))
        figs = study_figures(search)
        if figs:
            tabs = st.tabs([name for name, _ in figs])
            for tab, (name, fig) in zip(tabs, figs):
                tab.plotly_chart(fig, key=f"tune_fig_{name}")
    if s["status"] == "failed":
        show_error(job.error)
    elif job.done and job.best_result is not None:
        from kwk.tune.verdict import SEARCH_BETTER
        # The verdict leads: did the search beat the user's own network on the test rows?
        won = (job.verdict or {}).get("outcome") == SEARCH_BETTER
        kind, text = verdict_message(job.verdict)
        {"success": st.success, "warning": st.warning, "info": st.info}[kind](
            text, icon="✅" if kind == "success" else "⚖️")
        st.subheader("The best network beside yours, on the test rows")
        opened = store().get(ss.run_id, owner()) if ss.run_id else None
        st.markdown(own_network_note(job.own_result.prepared.spec if job.own_result else {},
                                     opened if opened and opened["id"] != job.run_id else None))
        st.dataframe(comparison_table(job.best_result, job.own_result, job.verdict),
                     hide_index=True, width="stretch")
        st.caption("Both are trained on the same rows with the same seed and scored on the same "
                   "test rows, which the search never saw. *better* / *worse* only when the "
                   "difference is larger than the noise (paired bootstrap, 95%).")
        st.caption(s["message"])
        b1, b2, b3 = st.columns(3)
        if b1.button("✋ Keep yours", key="tune_keep", type="secondary" if won else "primary",
                     help="Nothing changes: your stack stays on the Build page. The trials "
                     "stay in this search's study (Runs page)."):
            st.switch_page("pages/3_build.py")
        if b2.button("💾 Save as a run", key="tune_save", disabled=job.run_id is not None,
                     type="primary" if won else "secondary",
                     help="Save the best network found, with its test scores, as a run."):
            try:
                ss.run_id = job.save_best(store())
                st.rerun(scope="app")
            except KwkError as e:
                show_error(e)
        if b3.button("🧱 Use in Build", key="tune_use", help="The best network's layers and "
                     "training options become the ones on the Build and Train pages."):
            use_model(job.best_result.prepared.spec, "applied the best network of a search")
            st.switch_page("pages/3_build.py")
        if job.run_id:
            st.page_link("pages/5_evaluate.py", label="Saved: evaluate the best network",
                         icon="➡️")
    if job.done and ss.tune_done_seen is not job:  # once: a full rerun stops the polling
        ss.tune_done_seen = job
        st.rerun(scope="app")


st.fragment(live, run_every=1.0 if running else None)()
