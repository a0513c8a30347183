"""Predict & export: predictions for new rows; download model, spec, script, metrics."""

import streamlit as st

from kwk.data.safety import csv_safe
from kwk.errors import KwkError
from kwk.runs.bundle import unusual_summary
from kwk.runs.service import set_threshold
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import session
from kwk.ui.state import cached_bundle, owner, parse, run_picker, show_error, store

ensure_navigation()

ss = session()
st.title("📦 Predict & export")
run_id = run_picker("pred_run", "Model (run)")
if run_id is None:
    st.stop()
run = store().get(run_id, owner())
spec = run["spec"]


st.subheader("Downloads")
d = st.columns(4)
files = [("model.keras", "🧠 Model (.keras)", "application/octet-stream"),
         ("train_script.py", "🐍 Training script", "text/x-python"),
         ("spec.json", "📄 Spec (JSON)", "application/json"),
         ("metrics.json", "📊 Metrics (JSON)", "application/json")]
for col, (name, label, mime) in zip(d, files):
    data = store().file_bytes(run_id, name)
    if data is not None:
        col.download_button(label, data, file_name=name, mime=mime, key=f"dl_{name}",
                            on_click="ignore")
seq, text = spec["data"].get("sequence"), spec["data"].get("text")
if text:
    st.caption("The model takes raw text: `keras.saving.load_model('model.keras')` then "
               "`model.predict(tf.constant([['some text']]))` gives the class probabilities.")
else:
    st.caption("The model's input is the encoded feature matrix; `preprocess.json` in the run "
               "folder and the training script hold the preprocessing. Predictions below apply "
               "it for you.")
with st.expander("Preview the training script"):
    st.code((store().file_bytes(run_id, "train_script.py") or b"").decode(), language="python",
            wrap_lines=True)

st.subheader("Predict new rows")
feats = spec["data"]["features"]
if seq:
    need = list(dict.fromkeys([*feats, seq["time"], *([seq["group"]] if seq["group"] else [])]))
    st.caption(f"Upload the recent history of each series with the columns "
               f"{', '.join(need[:12])}. Every row with at least {seq['window']} rows of history "
               f"(itself included) gets the forecast of '{spec['data']['target']}' "
               f"{seq['horizon']} row(s) later; earlier rows stay empty."
               + (f" Rows with no '{spec['data']['target']}' value are skipped, as in training."
                  if spec["data"]["target"] in feats else ""))
else:
    st.caption(f"Upload rows with the same columns ({', '.join(feats[:12])}"
               f"{'…' if len(feats) > 12 else ''}); the target column is optional and missing "
               "values are fine.")
up = st.file_uploader("New rows (or a .zip of pictures for an image model)",
                      type=["csv", "tsv", "txt", "xlsx", "parquet", "jsonl", "zip", "gz"],
                      key="pred_upload")
use_current = st.button("…or predict the current dataset", key="pred_current",
                        disabled=ss.data is None)
threshold = None
if spec["data"]["task"] == "binary":
    classes = store().target_state(run_id).get("classes", ["0", "1"])
    saved = store().threshold(run_id)
    threshold = st.slider(f"Decision threshold: predict '{classes[1]}' from this probability on",
                          0.01, 0.99, saved, 0.01, key=f"pred_threshold_{run_id}",
                          help="Saved with the run: Evaluate, `kwk predict`, the report and the "
                          "run's script use the same one. Lower it to catch more "
                          f"'{classes[1]}' rows, raise it to be surer of each.")
    if round(threshold, 2) != round(saved, 2):
        try:
            set_threshold(run["dir"], threshold)
        except KwkError as e:
            show_error(e)
try:
    if up is not None and ss.pred_source != (run_id, up.file_id):
        ss.pred_source = (run_id, up.file_id)
        shape = spec["data"].get("image_shape")  # pictures are read at the model's size
        images = (shape[0], shape[1], "grayscale" if shape[2] == 1 else "rgb") \
            if shape and up.name.lower().endswith(".zip") else None
        ss.pred_rows = parse(up.getvalue(), up.name, None, images, min_columns=1).df
        ss.pred_made = None
    elif use_current:
        ss.pred_source = (run_id, "current")
        ss.pred_rows, ss.pred_made = ss.data.df, None
    wanted = (*ss.pred_source, threshold) if ss.pred_source else None
    if ss.pred_rows is not None and ss.pred_source[0] == run_id and ss.pred_made != wanted:
        ss.predictions = cached_bundle(run["dir"]).predict(ss.pred_rows, threshold)
        ss.pred_made = wanted  # the rows and the threshold these predictions come from
except KwkError as e:
    ss.predictions = ss.pred_source = ss.pred_rows = ss.pred_made = None
    show_error(e)
pred = ss.predictions
if pred is not None and ss.pred_source and ss.pred_source[0] == run_id:
    ss.predicted = True
    note = unusual_summary(pred["unusual"]) if "unusual" in pred.columns else None
    if note:
        st.warning(note, icon="🔎")
    if threshold is not None:
        st.caption(f"Labelled at the decision threshold {threshold:.2f}: "
                   f"P({classes[1]}) ≥ {threshold:.2f} → {classes[1]}.")
    st.dataframe(pred.head(1000), width="stretch", height=360)
    if len(pred) > 1000:
        st.caption(f"Showing 1,000 of {len(pred):,} rows; the download has all of them.")
    st.download_button("⬇️ Download predictions (CSV)",
                       csv_safe(pred).to_csv(index=False).encode("utf-8"),
                       file_name="predictions.csv", mime="text/csv", key="dl_pred",
                       on_click="ignore")

# --- Why this prediction (explanations): below this line belongs to the explanations work ---
