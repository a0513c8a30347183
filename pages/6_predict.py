"""Predict & export: predictions for new rows; downloads: the model with its preprocessing inside
(.keras, SavedModel, LiteRT, ONNX), the run folder, the script, spec and metrics."""

from pathlib import Path

import streamlit as st

from kwk.data.safety import csv_safe
from kwk.errors import KwkError
from kwk.runs.bundle import unusual_summary
from kwk.runs.fit import columns_fit, needed_columns
from kwk.runs.service import set_threshold
from kwk.ui import words
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import session
from kwk.runs.bundle import preload_bundle
from kwk.ui.state import cached_bundle, owner, parse, run_picker, show_error, store
from kwk.ui.predict_grid import predict_grid, prediction_first
from kwk.ui.stale import run_banner
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()

ss = session()
st.title("📦 Predict & export")
run_id = run_picker("pred_run", "Model (run)")
if run_id is None:
    stop_page()
run = store().get(run_id, owner())
spec = run["spec"]
run_banner(run, run_id, "predict")  # a run of other data says so first


st.subheader("Downloads")
seq = spec["data"].get("sequence")
d = st.columns(3)
files = [("train_script.py", "🐍 Training script", "text/x-python"),
         ("spec.json", "📄 Spec (JSON)", "application/json"),
         ("metrics.json", "📊 Metrics (JSON)", "application/json")]
for col, (name, label, mime) in zip(d, files):
    data = store().file_bytes(run_id, name)
    if data is not None:
        col.download_button(label, data, file_name=name, mime=mime, key=f"dl_{name}",
                            on_click="ignore")


@st.cache_data(max_entries=8, show_spinner="Building the download (a model file is loaded in "
                                            "its own runtime and checked against the run)…")
def _built(run_dir: str, what: str, changed: float) -> tuple[str, bytes | None, str, str | None]:
    """A download ``(file name, bytes, message, None)``, built once per run, format and change
    of the run's files (``changed``: the latest time one was written, e.g. a new threshold).
    A model export is checked before it is offered; one that was refused or failed its check
    is ``("", None, reason, hint)``, kept too, so it is not converted again at every rerun."""
    if what == "run":
        from kwk.runs.bundle import zip_run
        return "kwk_run.zip", zip_run(run_dir), "The whole run folder: model, preprocessing, " \
            "spec, metrics, history, script.", None
    if what == "notebook":
        from kwk.runs.notebook import notebook_bytes
        return "train.ipynb", notebook_bytes(run_dir), "The training script as a Jupyter " \
            "notebook, in sections: run it next to the data file to train this model " \
            "again.", None
    from kwk.ui.cache_export import export_bytes  # in a child process when memory is short
    try:
        return (*export_bytes(run_dir, what), None)
    except KwkError as e:
        return "", None, e.message, e.hint


MODELS = ("keras", "savedmodel", "tflite", "onnx")
EXPORTS = {"keras": ("🧠 Model (.keras)", "takes the original columns by name, the training "
                      "preprocessing inside"),
           "savedmodel": ("🗄️ SavedModel (zip)", "for TF Serving: signature 'serving_default'"),
           "tflite": ("📱 LiteRT (.tflite)", "for phones and small devices"),
           "onnx": ("🔷 ONNX", "for onnxruntime and other ONNX tools"),
           "run": ("🗂️ Run folder (zip)", "everything KwK saved for this run"),
           "notebook": ("📓 Notebook (.ipynb)", "the training script as a notebook")}
if seq:  # forecasts need windows of rows, built outside the network
    for what in MODELS:
        del EXPORTS[what]
# A selection (not a button): it survives the reruns that redraw the sidebar, and each
# download is built (and a model file checked) once per run and format. A download once built
# stays offered: clicking its chosen pill again does not take it away.
pick_key = f"export_pick_{run_id}"
kept = ss.exports_built.setdefault(run_id, [] if seq else ["keras"])


def _keep_built() -> None:
    for w in st.session_state.get(pick_key) or []:
        if w not in kept:
            kept.append(w)
    st.session_state[pick_key] = [w for w in EXPORTS if w in kept]


picked = st.pills("Build a download", list(EXPORTS), format_func=lambda k: EXPORTS[k][0],
                  selection_mode="multi", key=pick_key, on_change=_keep_built,
                  default=None if pick_key in st.session_state else
                  [w for w in EXPORTS if w in kept],
                  help="Pick a format: KwK builds it, loads a model file in its own runtime "
                       "and compares it with the run on a few rows (a few seconds), then "
                       "offers the file; it stays offered.")
for what in picked or []:
    try:
        changed = max((p.stat().st_mtime for p in Path(run["dir"]).iterdir()), default=0.0)
        name, data, message, hint = _built(run["dir"], what, changed)
    except KwkError as e:
        show_error(e)
        continue
    if data is None:  # refused, or the written file failed its check: nothing to download
        show_error(KwkError(f"{EXPORTS[what][0]}: {message}", hint))
        continue
    st.download_button(f"⬇️ {name}", data, file_name=name, mime="application/octet-stream",
                       key=f"dl_built_{what}", on_click="ignore",
                       help=EXPORTS[what][1])
    if what in MODELS:  # the check's sentence, then what the file takes and gives
        checked, _, message = message.partition("\n\n")
        st.success(checked, icon="✅")
    st.caption(message)
if seq:
    st.caption("A time-series model forecasts from windows of several rows, built outside the "
               "network, so it is not exported as a stand-alone model: the run folder holds "
               "`model.keras` (it takes the windows) and `preprocess.json`; forecast with "
               "`python -m kwk predict RUN DATA` or the predictions below.")
else:
    st.caption("The downloaded model takes the **original columns by name** (numbers as "
               "float32; categories, dates and text as strings) and gives "
               + ("the predicted values in the target's units" if spec["data"]["task"] ==
                  "regression" else "the class probabilities (class names in its metadata)")
               + ": the preprocessing fitted in training is inside it. "
               "`keras.saving.load_model('model.keras')`, then `model.predict({input: values})` "
               "with one input per column, named after it ('home city' → `home_city`). "
               "LiteRT and ONNX cannot carry string preprocessing: a model with category, date "
               "or text inputs comes with `preprocess.json`, which says how to encode them.")
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
elif spec["data"].get("image_shape") and not spec["data"].get("inputs"):
    h, w, c = spec["data"]["image_shape"]
    st.caption(f"Drop in pictures as you have them: each is resized to {h}×{w} "
               f"{'grayscale' if c == 1 else 'colour'} as in training, and shown with its "
               "file name, the predicted class and its probability. The download starts with "
               "the file name.")
else:
    st.caption(f"Upload rows with the same columns ({', '.join(feats[:12])}"
               f"{'…' if len(feats) > 12 else ''}); the target column is optional and missing "
               "values are fine.")
TABLES = ["csv", "tsv", "txt", "xlsx", "parquet", "jsonl", "zip", "gz"]
shape = spec["data"].get("image_shape")
pictures_run = bool(shape) and not spec["data"].get("inputs")
pics = None  # pictures to score: [(file name, bytes), …]
if pictures_run:  # pictures as people have them: files, or a zip with or without folders
    from kwk.evaluation.pictures import is_picture_upload, picture_uploads, read_for, score_frame
    ups = st.file_uploader("New pictures: PNG or JPEG files, or a .zip of them (in class "
                           "folders or not); or a table of pixel columns",
                           type=["png", "jpg", "jpeg", *TABLES], accept_multiple_files=True,
                           key="pred_upload_pics")
    given = [(u, u.getvalue()) for u in ups or []]
    picked = [(u.name, raw) for u, raw in given if is_picture_upload(u.name, raw)]
    up = next((u for u, raw in given if not is_picture_upload(u.name, raw)), None)
    if picked and up is None:
        pics = picked
    elif picked:
        st.error("Upload pictures, or one table of pixel columns, not both at once.",
                 icon="🖼️")
        up = None
else:
    up = st.file_uploader("New rows (or a .zip of pictures for an image model)", type=TABLES,
                          key="pred_upload")
current_ok, current_why = (False, "No data is loaded.") if ss.data is None else \
    columns_fit(needed_columns(run["dir"]), ss.data.df.columns)  # the run's own column list
use_current = st.button("…or predict the current dataset", key="pred_current",
                        disabled=not current_ok, help=current_why or None)
if ss.data is not None and not current_ok:
    st.caption(f"Predicting the current dataset ({ss.data.name}) is not offered. "
               f"{current_why}")
typed = predict_grid(run, run_id)  # rows typed or pasted in a grid, checked; None until asked
threshold = None
if spec["data"]["task"] == "binary":
    classes = store().target_state(run_id).get("classes", ["0", "1"])
    saved = store().threshold(run_id)
    threshold = st.slider(f"Decision threshold: predict '{classes[1]}' from this probability on",
                          0.01, 0.99, saved, 0.01, key=f"pred_threshold_{run_id}",
                          help="Saved with the run: Evaluate, `kwk predict`, the report and the "
                          "run's script use the same one. Lower it to catch more "
                          f"'{classes[1]}' rows, raise it to be surer of each.\n\n📖 "
                          + words.tip("threshold"))
    if round(threshold, 2) != round(saved, 2):
        try:
            set_threshold(run["dir"], threshold)
        except KwkError as e:
            show_error(e)
try:
    if typed is not None:  # just asked for: before an upload still waiting in its box
        ss.pred_source = (run_id, typed[0])
        ss.pred_rows, ss.pred_made = typed[1], None
    elif pics and ss.pred_upload_seen != (run_id, tuple(u.file_id for u in ups)):
        ss.pred_source = ss.pred_upload_seen = (run_id, tuple(u.file_id for u in ups))
        frame, failed = read_for(cached_bundle(run["dir"]), picture_uploads(pics))
        frame.attrs["failed"] = failed  # the files not scored, named with the reason
        ss.pred_rows, ss.pred_made = frame, None
        if not len(frame):
            from kwk.evaluation.pictures import failed_text
            raise KwkError(failed_text(failed), "Upload PNG or JPEG pictures, or a zip of them.")
    elif up is not None and ss.pred_upload_seen != (run_id, up.file_id):
        ss.pred_source = ss.pred_upload_seen = (run_id, up.file_id)
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
        b = cached_bundle(run["dir"])
        ss.predictions = score_frame(b, ss.pred_rows, threshold) if pictures_run and \
            "file" in ss.pred_rows.columns else b.predict(ss.pred_rows, threshold)
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
    if pictures_run and "file" in pred.columns:  # each picture with its name and class
        from kwk.ui.images import picture_predictions
        picture_predictions(pred, ss.pred_rows, tuple(shape),
                            ss.pred_rows.attrs.get("failed", []))
        st.container(key="pred_table").dataframe(pred.head(1000), width="stretch", height=360,
                                                 hide_index=True)
    else:
        shown, pinned = prediction_first(pred.head(1000), ss.pred_rows)  # not off to the right
        st.container(key="pred_table").dataframe(shown, width="stretch", height=360,
                                                 column_config=pinned)
    if len(pred) > 1000:
        st.caption(f"Showing 1,000 of {len(pred):,} rows; the download has all of them.")
    st.download_button("⬇️ Download predictions (CSV)",
                       csv_safe(pred).to_csv(index=False).encode("utf-8"),
                       file_name="predictions.csv", mime="text/csv", key="dl_pred",
                       on_click="ignore")

# --- Why this prediction (explanations): below this line belongs to the explanations work ---
from kwk.ui.explain import why_this_prediction  # noqa: E402

why_this_prediction(run, run_id, ss.pred_rows if pred is not None and ss.pred_source
                    and ss.pred_source[0] == run_id else None)

# The model, loaded behind the drawn page: scoring then does not wait for it (issue 30)
preload_bundle(run["dir"])
