"""The Tune page's tables and charts: the leaderboard, Optuna's own plotly figures, and the best
network beside the user's own on the same test rows."""
from __future__ import annotations

import hashlib

import pandas as pd

from kwk.ui.tables import NICE, VERDICT


def widget_digest(value) -> str:
    """A widget key's part for ``value`` (its ``repr``): a stable 128-bit digest, the same in
    every process and never cut short (``hash(x) & 0xFFFF`` gave two tables one key in 65,536
    and changed with every server start)."""
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


def kept_index(options: list, kept) -> int:
    """The position of the kept choice ``kept`` among ``options`` (0 when it is not there)."""
    return options.index(kept) if kept in options else 0


def keep_option(name: str) -> None:
    """``on_change`` of a Tune select (``tune_<name>``): keep its value in the session's
    ``tune_options``, which survives another page deleting the widget's key."""
    import streamlit as st

    from kwk.ui.session import session
    session().tune_options[name] = st.session_state[f"tune_{name}"]


def _short(v):
    if isinstance(v, float):
        return float(f"{v:.4g}")
    return v


def leaderboard_table(rows: list[dict], search) -> pd.DataFrame:
    """One line per trial, the best first, with the settings it tried."""
    from kwk.tune.space import describe
    layers = search.p.spec["layers"]
    out = []
    for r in rows:
        state = r["state"]
        if r.get("own"):
            state += " · your network"
        if r.get("duplicate_of") is not None:
            state += f" · same as trial {r['duplicate_of'] + 1}"
        if r.get("stopped"):
            state = "stopped"
        # a trial without a final score (pruned, failed, running) shows "—", not "None"
        score = f"{r['value']:.4g}" if r["state"] == "complete" and r["value"] is not None \
            else "—"
        line = {"trial": r["trial"], NICE.get(search.metric, search.metric): score,
                # text in every row: a column of numbers and "—" is not one Arrow type, and
                # Streamlit then logs a traceback and converts it on every rerun
                "state": state, "epochs": "—" if r.get("epochs") is None else str(r["epochs"]),
                "seconds": "—" if r["seconds"] is None else f"{r['seconds']:.1f}"}
        for k, v in r["params"].items():
            line[describe(k, layers)] = _short(v)
        if r.get("error"):
            line["why it failed"] = r["error"][:160]
        out.append(line)
    return pd.DataFrame(out)


def study_figures(search) -> list[tuple[str, object]]:
    """Optuna's optimization history, parallel coordinates and parameter importances, when
    there are enough finished trials to draw them."""
    import optuna.visualization as vis
    complete = search.counts()["complete"]
    score = f"{NICE.get(search.metric, search.metric)} (validation)"
    figs = []
    makers = [("Optimization history", vis.plot_optimization_history, 1),
              ("Parallel coordinates", vis.plot_parallel_coordinate, 2),
              ("Setting importances", vis.plot_param_importances, 3)]
    for name, make, need in makers:
        if complete < need:
            continue
        try:
            fig = make(search.study)
        except Exception:  # e.g. importances of a setting that never varied
            continue
        fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10))
        figs.append((name, _our_words(name, fig, score, search.metric in SHARES)))
    return figs


SHARES = {"accuracy", "balanced_accuracy", "f1_macro", "precision_macro", "recall_macro",
          "roc_auc"}  # scores from 0 to 1


def _our_words(name: str, fig, score: str, share: bool):
    """Optuna's figure with the page's words: trials numbered from 1 as in the leaderboard
    (Optuna counts from 0), the score named on its axis."""
    if name == "Optimization history":
        for trace in fig.data:
            if trace.x is not None and len(trace.x):
                trace.x = [x + 1 for x in trace.x]
            trace.name = {"Objective Value": "trial's score",
                          "Best Value": "best so far"}.get(trace.name, trace.name)
        n = max((len(t.x) for t in fig.data if t.x is not None), default=0)
        fig.update_xaxes(title="trial (numbered as in the table, from 1)",
                         dtick=1 if n <= 20 else None, rangemode="nonnegative")
        fig.update_yaxes(title=score)
        if share:  # a score from 0 to 1 is drawn on the whole scale, not zoomed in
            fig.update_yaxes(range=[0, 1.02])
        fig.update_layout(title=None)
    elif name == "Parallel coordinates":
        for trace in fig.data:
            for dim in getattr(trace, "dimensions", None) or []:
                if dim.label == "Objective Value":
                    dim.label = score
        fig.update_layout(title=None)
    else:
        fig.update_xaxes(title=f"importance (shares add to 1) for: {score}")
        fig.update_yaxes(title="setting")
        fig.update_layout(title=None)
    return fig


def comparison_table(best, own, verdict: dict | None = None) -> pd.DataFrame:
    """Metrics of the best network and the user's own on the same test rows, each with its
    bootstrap interval, and the paired verdict of the best against the user's (from
    :func:`kwk.tune.verdict.compare`, computed by the job)."""
    from kwk.evaluation.metrics import CLASS_METRICS, REGRESSION_METRICS
    m_b, m_o = best.metrics, own.metrics if own is not None else {}
    names = REGRESSION_METRICS if m_b["task"] == "regression" else CLASS_METRICS
    paired = (verdict or {}).get("metrics", {})
    rows = []
    for n in names:
        ci_b = m_b.get("test_ci", {}).get(n)
        ci_o = m_o.get("test_ci", {}).get(n) if m_o else None
        rows.append({"metric": NICE[n],
                     "your network": m_o.get("test", {}).get(n) if m_o else None,
                     "yours 95% CI": f"{ci_o[0]:.3f} – {ci_o[1]:.3f}" if ci_o else "",
                     "best found": m_b["test"].get(n),
                     "best 95% CI": f"{ci_b[0]:.3f} – {ci_b[1]:.3f}" if ci_b else "",
                     "best vs yours": VERDICT[paired[n]["verdict"]] if n in paired else ""})
    ref = m_b.get("reference")
    if ref:
        for r in rows:
            key = next(k for k, v in NICE.items() if v == r["metric"])
            r["gradient boosting"] = ref.get(key)
    return pd.DataFrame(rows)


def verdict_message(v: dict | None) -> tuple[str, str]:
    """``(kind, text)`` for the verdict the job decided (:func:`kwk.tune.verdict.compare`):
    kind is "success" only when the search beat the user's network, "warning" when its best
    was worse, "info" when it was not clearly better or could not be compared."""
    from kwk.tune.verdict import KEPT_YOURS, SEARCH_BETTER
    v = v or {}
    if v.get("outcome") not in (SEARCH_BETTER, KEPT_YOURS):
        return "info", ("Your own network could not be scored beside the best one, so this "
                        "search is not compared with it.")
    name = NICE.get(v["metric"], v["metric"])
    total = len(v["metrics"])
    noise = (f"difference {v['difference']:+.4f}, paired 95% interval {v['low']:+.4f} to "
             f"{v['high']:+.4f}" if v["paired"] else f"difference {v['difference']:+.4f}, "
             "too few test rows to tell it from noise")
    score = (f"{name} {v['best']:.4f} for the best found against {v['yours']:.4f} for yours on "
             f"the test rows ({noise})")
    tally = (f" Clearly better on {len(v['better_on'])} and clearly worse on "
             f"{len(v['worse_on'])} of the {total} test metrics.")
    if v["outcome"] == SEARCH_BETTER:
        return "success", f"**The search beat your network**: {score}.{tally}"
    if v["reason"] == "your own":
        return "info", ("**The search found nothing better than your network: keep yours.** "
                        "The best settings it tried are your own, so the two networks are the "
                        f"same — {score}.")
    if v["reason"] == "worse":
        return "warning", (f"**Your network is better: keep yours.** The search's best "
                           f"network scored worse — {score}.{tally}")
    return "info", (f"**The search did not beat your network: keep yours.** Its best network "
                    f"is not clearly better — {score}.{tally}")


def own_network_note(own_spec: dict, run: dict | None) -> str:
    """What "your network" in the comparison is: the stack now on the Build page, trained again
    on the same rows with the same seed and epochs, and whether that is the run the user has
    open (``run``: a store record, or None)."""
    from kwk.tune.verdict import same_network
    text = ("**Your network** here is the stack now on the Build page, trained again on the "
            "same split with the same seed, epochs and early stopping as the best one — not a "
            "saved run.")
    if run is not None:
        label = f"'{run['name']}'" if run.get("name") else f"{run['id'][:6]}"
        if same_network(run["spec"], own_spec):
            text += (f" The run {label} you opened has the same network and training; trained "
                     "again, its scores can differ a little from that run's.")
        else:
            text += (f" It is **not** the run {label} you opened: that run's network or "
                     "training options differ from the stack now on Build, so its scores "
                     "differ too.")
    return text


def outcome_section(job, message: str) -> None:
    """The end of a search on the Tune page: the verdict first (green only when the search beat
    the user's network), what "your network" is, both on the test rows, and the actions —
    "Keep yours" is the primary one unless the search won."""
    import streamlit as st

    from kwk.errors import KwkError
    from kwk.tune.verdict import SEARCH_BETTER
    from kwk.ui.session import session
    from kwk.ui.state import apply_spec, owner, show_error, store
    ss = session()
    won = (job.verdict or {}).get("outcome") == SEARCH_BETTER
    kind, text = verdict_message(job.verdict)
    {"success": st.success, "warning": st.warning, "info": st.info}[kind](
        text, icon="✅" if kind == "success" else "⚖️")
    b1, b2, b3 = st.columns(3)
    if b1.button("✋ Keep yours", key="tune_keep", type="secondary" if won else "primary",
                 help="Nothing changes: your stack stays on the Build page. The trials stay in "
                 "this search's study (Runs page)."):
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
        apply_spec(job.best_result.prepared.spec, "applied the best network of a search")
        st.switch_page("pages/3_build.py")
    if job.run_id:
        st.page_link("pages/5_evaluate.py", label="Saved: evaluate the best network", icon="➡️")
    st.subheader("The best network beside yours, on the test rows")
    opened = store().get(ss.run_id, owner()) if ss.run_id else None
    st.markdown(own_network_note(job.own_result.prepared.spec if job.own_result else {},
                                 opened if opened and opened["id"] != job.run_id else None))
    st.caption(message)
    st.dataframe(comparison_table(job.best_result, job.own_result, job.verdict),
                 hide_index=True, width="stretch")
    st.caption("Both are trained on the same rows with the same seed and scored on the same "
               "test rows, which the search never saw. *better* / *worse* only when the "
               "difference is larger than the noise (paired bootstrap, 95%).")
