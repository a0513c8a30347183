"""Train: options, Start/Stop, live progress and curves from a background job."""
import streamlit as st

from kwk.background import LOADING
from kwk.data.profile import rare_class
from kwk.errors import KwkError
from kwk.evaluation.curves import readable_loss
from kwk.plots import learning_curves
from kwk.runs.service import DataSource, run_in_background
from kwk.spec import TRAINING_PARAMS
from kwk.spec.choices import class_weight_choice
from kwk.prep.prepare import prepare
from kwk.training import diagnose
from kwk.training.core import kept_epoch
from kwk.ui import words
from kwk.ui.forms import param_widget, params_form
from kwk.ui.jobpanel import JobPanel, queue_notice, stop_button
from kwk.ui.model_info import resolved_task
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import session
from kwk.ui.training_kept import kept_training_note
from kwk.ui.state import (
    job_services,
    need_target,
    owner,
    profile_kinds,
    session_spec,
    show_error,
    store,
)
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()
VALIDATION = next(p for p in TRAINING_PARAMS if p.name == "validation")

ss = session()
st.title("🏋️ Train")
gate, _ = job_services()
panel = JobPanel("job", "job", "job_done_seen")
# After a browser reload the session is new: find the job again from the URL (?job=...).
if panel.attach() is None and not need_target():
    stop_page()


def record(job) -> None:
    """The job ended since the page last ran in full (it may have waited in the queue, trained
    and been saved between two reruns): record its run here. kwk_app.py redraws the sidebar's
    marks when this changes them."""
    if job.finish_value:
        ss.run_id = job.finish_value


panel.settle(record)
job = ss.job
running = job is not None and not job.done
start = False
if ss.data is None or not ss.target:  # reloaded mid-training: the job is shown below
    st.info("Training continues below. To start a new one, load the data again on the **Data** "
            "page.", icon="🔄")
else:
    kept_training_note()  # options changed for other data, kept for this one: say so
    st.markdown("**Training options**")
    vcol = "—"
    if ss.modality == "series":
        st.caption("🕒 Time series: validation is always a **holdout by time** — the "
                   "validation and test fractions are the latest periods, and k-fold or a "
                   "split column is not used (they would train on the future).")
    else:  # outside the form: the split column is asked for only when it is used
        how = param_widget(VALIDATION, ss.spec["training"]["validation"],
                           f"tr{ss.spec_version}_validation")
        ss.spec["training"]["validation"] = how
        if how == "column":
            vcols = ["—"] + [str(c) for c in ss.data.df.columns if c != ss.target]
            vcol = st.selectbox(
                "Validation column", vcols,
                index=vcols.index(ss.validation_column) if ss.validation_column in vcols else 0,
                key="validation_column_select",
                help="A column whose values are train / validation / test (or 0 / 1 / 2) decides "
                "which rows are used for what, as in JMP.")
    task = resolved_task()
    weights = ss.spec["training"].get("class_weight", "auto")
    if task in ("binary", "multiclass"):  # say what the class weights do with this target
        rare = rare_class(ss.data.df[ss.target])
        if weights == "auto" and rare is not None:
            st.info(class_weight_choice("auto", ss.data.df[ss.target], task)[1], icon="⚖️")
        elif weights == "none" and rare is not None:
            st.caption(f"⚖️ Class weights 'none': the rare class '{rare['label']}' "
                       f"({100 * rare['share']:.0f}% of rows) is not weighted, so the model may "
                       "ignore it; judge it by balanced accuracy and that class's recall.")
    with st.form("training_form", border=True):
        shown = [p for p in TRAINING_PARAMS  # class weights mean nothing for numbers
                 if p.name != "validation"
                 and not (p.name == "class_weight" and task == "regression")]
        values = params_form(shown, ss.spec["training"],
                             key_prefix=f"tr{ss.spec_version}", columns=3)
        start = st.form_submit_button("▶️ Start training", type="primary", disabled=running)
    words.on_page(["epochs", "batch size", "learning rate", "optimizer", "early stopping",
                   "validation", "overfitting"], key="train_words")

if start:
    ss.spec["training"] = values
    ss.validation_column = None if vcol == "—" else vcol
    ld = ss.data
    try:
        with st.spinner("Preparing the data: splitting it and fitting the preprocessing…"):
            prep = prepare(ld.df, session_spec(), profile_kinds())
        panel.started(run_in_background(prep, DataSource.of(ld), store=store(), owner=owner(),
                                        gate=gate))
        ss.evaluated = False
        st.rerun()
    except KwkError as e:
        show_error(e)


def live(job):
    if job is None:
        st.info("Set the options and press **Start training**. Training runs in the background: "
                "you can look at other pages meanwhile.", icon="🏋️")
        return
    s = job.snapshot()
    queue_notice(s, "Training starts by itself; you can keep working meanwhile.")
    frac = 0.0 if not s["epochs"] else min(1.0, (s["epoch"] + s["batch"] / max(s["batches"], 1)) / s["epochs"])
    if s["status"] == "finished":  # a stopped run's bar stays where it stopped
        frac = 1.0
    phase = s.get("phase")  # after the epochs: scoring, comparison models, intervals, saving
    status_word = {"early_stopped": "Stopped early"}.get(s["status"], s["status"].capitalize())
    st.progress(frac, text=f"{status_word} — epoch {s['epoch']} of {s['epochs']}"
                + (f" · {phase}…" if phase else ""))
    if phase == LOADING:
        st.caption("⏳ Loading TensorFlow and the libraries the training needs (once per server; "
                   "on a busy machine this can take a minute). The epochs start next.")
    elif phase:
        st.caption(f"⏳ {phase}… (the main model is trained; this is the work that follows)")
    c = st.columns(4)
    c[0].metric("Epoch", f"{s['epoch']} / {s['epochs']}", help=words.tip("epochs"))
    c[1].metric("Elapsed", f"{s['elapsed']:.0f} s")
    c[2].metric("Time left", "—" if not s.get("eta") or job.done else f"{s['eta']:.0f} s")
    loss_name, loss_label, curves = readable_loss(s["history"], job.prepared.spec,
                                                  job.prepared.pre.state["target"])
    h = {**s["history"], **curves}
    tr = job.prepared.spec["training"]
    val = [v for v in (h.get("val_loss") or []) if v is not None]
    kept = kept_epoch(val, tr) if job.done and s["status"] != "failed" else None
    if kept is not None:  # the weights kept are the best epoch's: say its number, not the last
        c[3].metric(f"Validation {loss_name} (kept)", f"{val[kept]:.4g}",
                    help=f"The validation {loss_label} of epoch {kept + 1}, whose weights early "
                    f"stopping kept (the last epoch's: {val[-1]:.4g}).")
    else:
        c[3].metric(f"Validation {loss_name}", f"{val[-1]:.4g}" if val else "—",
                    help=f"The validation {loss_label}.")
    stop_button(job, s, "stop", "Stops after the current batch and keeps the model so far.")
    if h.get("loss"):
        g1, g2 = st.columns(2)
        g1.plotly_chart(learning_curves(h, "loss", "Loss", loss_label), key="live_loss")
        if "accuracy" in h:
            g2.plotly_chart(learning_curves(h, "accuracy"), key="live_acc")
        note = diagnose(s["history"], training=tr, shown=(loss_name, h.get("val_loss") or []))
        if note:
            st.warning(note, icon="💡")
    if s["status"] == "failed":
        show_error(job.error)
    elif job.done and job.finish_error is not None:
        st.warning(s["message"] + " The model is trained but the run could not be saved; it is "
                   "kept in this session.", icon="💾")
        show_error(job.finish_error)
        if st.button("💾 Save the run again", key="retry_save", type="primary"):
            if job.retry_finish():
                ss.run_id = job.finish_value
                st.rerun(scope="app")
            show_error(job.finish_error)
    elif job.done and job.result is None:  # stopped in the queue or before the first epoch
        st.info(s["message"] + " Nothing was trained, so no run was saved.", icon="⏹️")
    elif job.done:
        st.success(s["message"] + " The run is saved.", icon="✅")
        if job.result is not None:
            st.caption(f"Trained on {job.result.device}.")
        st.page_link("pages/5_evaluate.py", label="Next: Evaluate the model", icon="➡️")


panel.show(live)
