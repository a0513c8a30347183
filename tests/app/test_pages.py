"""AppTest coverage of every page: main path and error paths."""
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "kwk_app.py")
# A script run's hang guard (AppTest's timeout), not a speed check. Idle, a run takes 0.1-3 s;
# beside a busy suite (three test processes, browsers, a memory-hungry neighbour on 2 cores) one
# run of about 1 s once went past 60 s (issue 34). 180 s keeps a wide margin over that noise and
# still fails a real hang.
T = 180


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    return at


def with_sample(key="iris") -> AppTest:
    at = app()
    at.selectbox(key="sample_choice").set_value(key).run()
    at.button(key="use_sample").click().run()
    no_crash(at)
    return at


def no_crash(at) -> None:
    """No exception, and nothing caught by kwk_app.py's last-resort guard either."""
    assert not at.exception, at.exception
    assert not any("Something unexpected went wrong" in e.value for e in at.error), \
        [e.value for e in at.error]


def goto(at, page) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    no_crash(at)
    return at


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.info] + \
            [m.value for m in at.error] + [m.value for m in at.warning] + \
            [m.value for m in at.success] + [m.value for m in at.caption]
    return "\n".join(str(p) for p in parts)


def test_empty_states_on_every_page():
    at = app()
    assert "Upload a file or pick a sample" in texts(at)
    for page in ("2_target", "3_build", "4_train"):
        goto(at, page)
        assert "No data yet" in texts(at)
    for page in ("5_evaluate", "6_predict", "7_runs"):
        goto(at, page)
        assert "No" in texts(at) and not at.error


def test_data_page_sample_and_profile_without_tensorflow():
    at = with_sample("churn")
    assert at.session_state.target == "churned"
    assert at.metric[0].value == "1,200"
    assert "customer_id: ID-like" in texts(at)


# For a fresh interpreter: what tests/app/conftest.py's run_through_navigation does, so each
# rerun goes through kwk_app.py's navigation as on a real server.
FRESH = """
import sys
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test
class _Reset(PagesManager):
    pass
PagesManager.uses_pages_directory = False
app_test.PagesManager = _Reset
"""


def test_data_target_build_pages_do_not_import_tensorflow():
    """Checked in a fresh interpreter: the test process itself may already hold TensorFlow."""
    import subprocess
    code = FRESH + f"""
at = AppTest.from_file({APP!r}, default_timeout={T}); at.run()
at.selectbox(key='sample_choice').set_value('churn').run(); at.button(key='use_sample').click().run()
assert at.session_state.data is not None and at.session_state.target == 'churned'
for p in ('2_target', '3_build'):
    at.switch_page(f'pages/{{p}}.py').run()
    assert not at.exception, at.exception
print('TF' if 'tensorflow' in sys.modules or 'keras' in sys.modules else 'NO-TF')
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       timeout=600)
    assert p.stdout.strip().endswith("NO-TF"), p.stdout + p.stderr[-2000:]


def test_the_landing_page_draws_without_pandas():
    """A cold start draws the Data page's landing before any table is read: pandas, pyarrow
    and scikit-learn come with the first file (checked in a fresh interpreter), and they do
    come once a sample is picked."""
    import subprocess
    code = FRESH + f"""
heavy = ('pandas', 'pyarrow', 'sklearn', 'tensorflow')
at = AppTest.from_file({APP!r}, default_timeout={T}); at.run()
assert not at.exception, at.exception
print('landing:', sorted({{m.split('.')[0] for m in sys.modules}} & set(heavy)))
at.selectbox(key='sample_choice').set_value('iris').run(); at.button(key='use_sample').click().run()
assert not at.exception, at.exception
print('data:', 'pandas' in sys.modules, at.session_state.data.df.shape)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       timeout=600)
    assert "landing: []" in p.stdout, p.stdout + p.stderr[-2000:]
    assert "data: True (150, 5)" in p.stdout, p.stdout + p.stderr[-2000:]


def test_upload_good_and_bad_files():
    at = app()
    at.file_uploader(key="upload").set_value(("d.csv", b"a;b;c\n1;2;x\n3;4;y\n5;6;x\n", "text/csv")).run()
    assert not at.exception and at.session_state.data.df.shape == (3, 3)
    at.file_uploader(key="upload").set_value(("bad.csv", b"a,b\n1,2\n3,4,5\n", "text/csv")).run()
    assert not at.exception
    assert "Row 3 has 3 values" in at.error[0].value and "What to do" in at.error[0].value


def test_an_export_with_formatted_numbers_is_read_as_numbers_and_says_so():
    rows = "".join(f'"${1000 + 37 * i:,}.50",{i % 7}%,{"ab"[i % 2]},,\n' for i in range(40))
    at = app()
    at.file_uploader(key="upload").set_value(("export.csv", ("price,share,seg,,\n" + rows).encode(),
                                              "text/csv")).run()
    no_crash(at)
    df = at.session_state.data.df
    assert list(df.columns) == ["price", "share", "seg"] and df["price"].iloc[1] == 1037.5
    assert any("'price', 'share' hold numbers written with currency" in m.value for m in at.info)
    roles = next(d.value for d in at.dataframe if "role" in d.value.columns)
    assert roles.set_index("column").loc["price", "kind"] == "numeric"


def test_roles_editor_sets_target_and_kind():
    at = with_sample("iris")
    roles = next(d.value for d in at.dataframe if "role" in d.value.columns)
    assert roles.set_index("column").loc["species", "role"] == "target"
    assert "**petal width (cm)**  \n`numeric`" in texts(at)
    at.session_state.kinds = {"petal width (cm)": "categorical"}
    at.run()
    assert "**petal width (cm)**  \n`categorical`" in texts(at)
    roles = next(d.value for d in at.dataframe if "role" in d.value.columns)
    assert roles.set_index("column").loc["petal width (cm)", "kind"] == "categorical"


def test_target_page_explains_task_and_flags_leakage():
    at = with_sample("iris")
    goto(at, "2_target")
    assert "Task: **multiclass**" in texts(at)
    at.radio(key="task_radio").set_value("binary").run()
    assert "has 3 different values" in at.error[0].value
    at.radio(key="task_radio").set_value("auto").run()
    df = at.session_state.data.df.copy()
    df["leak"] = df["species"].map({"setosa": 0, "versicolor": 1, "virginica": 2})
    from kwk.data.loader import LoadedData
    at.session_state.data = LoadedData(df=df, name="leaky.csv", fmt="csv", fingerprint="x")
    at.run()
    assert "'leak' predicts the target almost perfectly" in texts(at)


def test_build_page_templates_add_delete_reorder_and_errors():
    at = with_sample("iris")
    goto(at, "3_build")
    assert at.session_state.build_ok
    assert "model.add(layers.Dense(32, activation='relu'))" in at.code[0].value
    at.selectbox(key="palette").set_value("Dropout").run()
    at.button(key="add_layer").click().run()
    assert at.session_state.spec["layers"][-1]["type"] == "Dropout"
    assert "layers.Dropout(0.2)" in at.code[0].value
    # edit the selected layer through its generated form
    rate = next(w for w in at.number_input if w.key.startswith("layer2_") and w.key.endswith("_rate"))
    rate.set_value(0.4).run()
    assert at.session_state.spec["layers"][2]["rate"] == 0.4
    at.button(key="up").click().run()
    assert [l["type"] for l in at.session_state.spec["layers"]] == ["Dense", "Dropout", "Dense"]
    at.button(key="dup").click().run()
    assert len(at.session_state.spec["layers"]) == 4
    at.button(key="delete").click().run()
    assert len(at.session_state.spec["layers"]) == 3
    at.selectbox(key="template_table").set_value("Deep & regularized").run()
    at.button(key="apply_template").click().run()
    assert len(at.session_state.spec["layers"]) == 3  # asked first: the stack is not lost
    at.button(key="confirm_template").click().run()
    assert len(at.session_state.spec["layers"]) == 8 and at.session_state.build_ok
    # an absurd stack is explained, not crashed on
    at.session_state.spec["layers"] = [{"type": "Dense", "units": 100000},
                                       {"type": "Dense", "units": 100000}]
    at.run()
    assert not at.exception and not at.session_state.build_ok
    assert "the limit is 20,000,000" in at.error[0].value


def test_build_page_spec_import(tmp_path):
    import json
    at = with_sample("iris")
    goto(at, "3_build")
    spec = {"kwk_spec": 1, "data": {"target": "species"},
            "layers": [{"type": "Dense", "units": 5, "activation": "tanh"}],
            "training": {"epochs": 3}}
    at.file_uploader(key="spec_upload").set_value(("s.json", json.dumps(spec).encode(), "application/json")).run()
    before = at.session_state.spec["layers"]  # it would replace the user's stack: asked first
    assert len(before) == 2 and "replaces your 2 layer(s)" in at.warning[0].value
    at.button(key="confirm_import").click().run()
    assert at.session_state.spec["layers"] == [{"type": "Dense", **{**__import__("kwk.catalog.layers").catalog.layers.CATALOG["Dense"].defaults(), "units": 5, "activation": "tanh"}}]
    at.file_uploader(key="spec_upload").set_value(("bad.json", b'{"layers": [{"type": "Dense", "units": -3}]}', "application/json")).run()
    assert "'units' is -3" in at.error[0].value


def test_build_page_undo_redo_covers_every_edit(tmp_path):
    import json
    at = with_sample("iris")
    goto(at, "3_build")
    start = [dict(layer) for layer in at.session_state.spec["layers"]]
    assert at.button(key="undo").disabled and at.button(key="redo").disabled
    at.selectbox(key="palette").set_value("Dropout").run()
    at.button(key="add_layer").click().run()  # add
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("edit_sel_"))
                 ).set_value(0).run()
    units = next(w for w in at.number_input if w.key.startswith("layer0_")
                 and w.key.endswith("_units"))
    old_units = units.value
    units.set_value(64).run()  # a setting
    at.button(key="down").click().run()  # a move
    at.selectbox(key="template_table").set_value("Deep & regularized").run()
    at.button(key="apply_template").click().run()
    at.button(key="confirm_template").click().run()  # a template
    spec = {"kwk_spec": 1, "data": {"target": "species"},
            "layers": [{"type": "Dense", "units": 5, "activation": "tanh"}],
            "training": {"epochs": 3}}
    at.file_uploader(key="spec_upload").set_value(
        ("s.json", json.dumps(spec).encode(), "application/json")).run()
    at.button(key="cancel_import").click().run()  # kept: nothing recorded
    assert len(at.session_state.spec["layers"]) == 8
    at.file_uploader(key="spec_upload").set_value(
        ("t.json", json.dumps({**spec, "name": "five"}).encode(), "application/json")).run()
    at.button(key="confirm_import").click().run()  # an import
    no_crash(at)
    labels = [e.label for e in at.session_state.history.entries]
    assert labels[1:] == [
        f"added Dropout {len(start) + 1}",
        f"changed units of Dense 1 from {old_units} to 64",
        "moved Dense from place 1 to 2",
        labels[4], labels[5]], labels
    assert labels[4].startswith("applied the template 'Deep & regularized' (replaced the stack")
    assert labels[5].startswith("loaded the spec 'five'") and "epochs from" in labels[5]
    # undo everything, one step at a time, back to the start; then redo it all
    states = [e.state["layers"] for e in at.session_state.history.entries]
    for i in range(len(states) - 2, -1, -1):
        at.button(key="undo").click().run()
        no_crash(at)
        assert at.session_state.spec["layers"] == states[i]
    assert at.session_state.spec["layers"] == start and at.button(key="undo").disabled
    assert at.session_state.spec["training"]["epochs"] != 3
    for i in range(1, len(states)):
        at.button(key="redo").click().run()
        assert at.session_state.spec["layers"] == states[i]
    assert at.session_state.spec["training"]["epochs"] == 3 and at.button(key="redo").disabled
    # an edit after an undo drops what was undone; the forms show the restored values
    at.button(key="undo").click().run()
    at.button(key="undo").click().run()
    assert len(at.session_state.spec["layers"]) == 3
    at.button(key="delete").click().run()
    assert at.button(key="redo").disabled
    assert at.session_state.history.entries[-1].label.startswith("removed")
    assert at.session_state.build_ok


@pytest.mark.slow
def test_train_evaluate_predict_runs_flow():
    at = with_sample("iris")
    goto(at, "4_train")
    at.number_input(key="tr0_epochs").set_value(5)  # form values go in with the submit
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    job = at.session_state.job
    assert job.wait(120)
    at.run()  # the poll sees the job done, records the run
    at.run()
    assert at.session_state.run_id and "Finished all 5 epochs" in texts(at)
    goto(at, "5_evaluate")
    assert "Balanced accuracy" in at.dataframe[0].value["metric"].tolist()
    at.toggle(key="cm_norm").set_value(True).run()
    assert not at.exception
    goto(at, "6_predict")
    at.button(key="pred_current").click().run()
    assert not at.exception  # the rows to type come first now; the predictions below them
    assert any("prediction" in d.value.columns for d in at.dataframe)
    at.file_uploader(key="pred_upload").set_value(("x.csv", b"foo,bar\n1,2\n", "text/csv")).run()
    assert "lacks 4 column(s)" in at.error[0].value
    goto(at, "7_runs")
    assert len(at.dataframe[0].value) == 1
    at.button(key="delete_run").click().run()
    assert "No runs yet" in texts(at)


@pytest.mark.slow
def test_training_can_be_stopped_and_bad_training_options_explained():
    at = with_sample("diabetes")
    goto(at, "4_train")
    at.number_input(key="tr0_epochs").set_value(2000)
    at.number_input(key="tr0_batch_size").set_value(8)
    at.number_input(key="tr0_early_stopping_patience").set_value(0)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    job = at.session_state.job
    t0 = time.time()
    while job.snapshot()["epoch"] < 1 and time.time() - t0 < 300:  # a hang guard only
        time.sleep(0.1)
    at.run()
    at.button(key="stop").click().run()
    assert job.wait(60) and job.snapshot()["status"] == "stopped"
    at.run()
    at.run()
    assert "Stopped by you" in texts(at)


@pytest.mark.parametrize("name,data,message", [
    ("empty.csv", b"", "is empty"),
    ("binary.csv", bytes(range(256)) * 20, "binary data"),
    ("one.csv", b"x\n1\n2\n3\n", "only one column"),
    ("dups.csv", b"a,a\n1,2\n", "share the same name"),
    ("noheader.csv", b"1,2,3\n4,5,6\n", "looks like data"),
    ("fake.xlsx", b"nope", "Excel workbook"),
])
def test_bad_uploads_get_a_message_and_the_app_stays_usable(name, data, message):
    at = with_sample("iris")  # something the user already has must not be lost
    at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
    assert not at.exception
    assert message in at.error[0].value and "What to do" in at.error[0].value
    assert at.session_state.data.name == "iris.csv"
    goto(at, "3_build")
    assert at.session_state.build_ok


def test_all_missing_target_is_explained():
    import numpy as np
    import pandas as pd
    from kwk.data.loader import LoadedData
    at = app()
    df = pd.DataFrame({"x": np.arange(30.0), "z": np.arange(30.0) % 3, "y": np.nan})
    at.session_state.data = LoadedData(df=df, name="t.csv", fmt="csv", fingerprint="t")
    at.session_state.target = "y"
    goto(at, "2_target")
    assert "Every value of the target 'y' is missing" in at.error[0].value
    goto(at, "3_build")
    assert "Every value of the target" in at.error[0].value and not at.session_state.build_ok


@pytest.mark.slow
def test_evaluate_analysis_tabs_and_runs_comparison():
    at = with_sample("churn")
    goto(at, "4_train")
    for seed in (0, 1):
        at.number_input(key="tr0_epochs").set_value(4)
        at.number_input(key="tr0_seed").set_value(seed)
        at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
        assert at.session_state.job.wait(120)
        at.run()
        at.run()
    goto(at, "5_evaluate")
    at.slider(key="threshold").set_value(0.2).run()
    assert not at.exception
    recall_low = float(next(m.value for m in at.metric if m.label == "Recall"))
    at.slider(key="threshold").set_value(0.8).run()
    recall_high = float(next(m.value for m in at.metric if m.label == "Recall"))
    assert recall_low >= recall_high
    at.button(key="imp_go").click().run()
    assert not at.exception
    imp = at.session_state.importance[at.session_state.run_id]
    assert set(imp["feature"]) == {"tenure_months", "plan", "region", "monthly_charge",
                                   "support_calls", "signup_date"}
    # profiler: moving one input changes the prediction shown
    before = next(m.value for m in at.metric if m.label.startswith("Prediction at"))
    sl = next(s for s in at.slider if s.key.endswith("_tenure_months"))
    sl.set_value(sl.max).run()
    after = next(m.value for m in at.metric if m.label.startswith("Prediction at"))
    assert before != after
    # a number with a few whole values (support calls 0, 1, 2 …) offers only those values
    calls = next(s for s in at.select_slider if s.key.endswith("_support_calls"))
    assert calls.options and all(float(o).is_integer() for o in calls.options)
    at.button(key="report_go").click().run()
    assert at.session_state.reports[at.session_state.run_id].startswith(b"<!DOCTYPE html>")
    goto(at, "7_runs")
    assert len(at.multiselect(key="compare_sel").value) == 2
    assert not at.exception
    assert "training.seed" in at.dataframe[-1].value["setting"].tolist()


@pytest.mark.slow
def test_kfold_and_validation_column_from_the_train_page():
    import numpy as np
    from kwk.data.loader import LoadedData
    at = with_sample("iris")
    goto(at, "4_train")
    at.number_input(key="tr0_epochs").set_value(2)
    at.selectbox(key="tr0_validation").set_value("kfold")
    at.number_input(key="tr0_folds").set_value(3)
    at.number_input(key="tr0_repeats").set_value(2)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    assert at.session_state.job.wait(180)
    at.run()
    at.run()
    goto(at, "5_evaluate")
    table = next(d.value for d in at.dataframe if "3-fold CV" in d.value.columns)
    assert "±" in table.loc[table.metric == "Accuracy", "3-fold CV"].iloc[0]
    assert "2 seeds" in table.columns
    assert "the range of the curves of all 2 seeds" in texts(at)  # profiler band
    # a validation column with a typo is explained, not crashed on
    df = at.session_state.data.df.copy()
    df["part"] = np.where(np.arange(len(df)) % 5 == 0, "test", "train")
    df.loc[1::5, "part"] = "validation"
    df.loc[7, "part"] = "tset"
    at.session_state.data = LoadedData(df=df, name="iris_parts.csv", fmt="csv", fingerprint="p")
    goto(at, "4_train")
    at.selectbox(key="tr0_validation").set_value("column").run()  # then the column is asked for
    at.selectbox(key="validation_column_select").set_value("part")
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    assert "values other than train / validation / test: 'tset'" in at.error[0].value


@pytest.mark.slow
def test_reload_finds_the_running_job_and_jobs_queue(monkeypatch):
    monkeypatch.setenv("KWK_MAX_JOBS", "1")
    at = with_sample("diabetes")
    goto(at, "4_train")
    at.number_input(key="tr0_epochs").set_value(3000)
    at.number_input(key="tr0_batch_size").set_value(8)
    at.number_input(key="tr0_early_stopping_patience").set_value(0)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    job = at.session_state.job
    job_id = at.query_params["job"]
    # another user's session: its job waits in the queue with a visible position
    other = with_sample("iris")
    goto(other, "4_train")
    other.number_input(key="tr0_epochs").set_value(1)
    other.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    assert other.session_state.job.snapshot()["status"] == "queued"
    assert "number 1 in the queue" in texts(other)
    # a browser reload: a fresh session with the same URL finds the same job
    again = AppTest.from_file(APP, default_timeout=T)
    again.query_params["job"] = job_id
    again.run()
    again.switch_page("pages/4_train.py").run()
    assert not again.exception
    assert again.session_state.job is job and "Training continues below" in texts(again)
    again.button(key="stop").click().run()
    assert job.wait(60) and job.snapshot()["status"] == "stopped"
    assert other.session_state.job.wait(120)
    assert other.session_state.job.snapshot()["status"] == "finished"


def test_class_weights_are_offered_only_for_classes():
    at = goto(with_sample("iris"), "4_train")
    assert [s for s in at.selectbox if s.label == "class weight"]
    at = goto(with_sample("diabetes"), "4_train")  # a number target: class weights do nothing
    assert not [s for s in at.selectbox if s.label == "class weight"]
    assert at.button(key="FormSubmitter:training_form-▶️ Start training")


def test_metrics_table_is_compact_and_a_better_simple_model_is_said_in_words():
    from kwk.ui.tables import metrics_table, simple_model_notice
    m = {"task": "regression", "test": {"rmse": 30.0, "mae": 20.0, "r2": 0.8},
         "simple_model": {"name": "linear regression", "rmse": 22.0, "mae": 21.0, "r2": 0.9},
         "baseline": {"name": "naive", "rmse": 40.0, "mae": 19.0, "r2": 0.7}}
    t = metrics_table(m)
    assert t["network vs baseline"].tolist() == ["✅ better", "❌ no better", "✅ better"]
    note = simple_model_notice(m)
    assert "(linear regression) does better than the network on RMSE, R²" in note
    m["simple_model"].update(rmse=35.0, r2=0.5)
    assert simple_model_notice({**m, "simple_model": {**m["simple_model"], "mae": 25.0}}) is None


def test_wide_data_shows_column_profiles_a_page_at_a_time():
    # 31 columns: one chart each would slow every rerun (the digits sample, wider, is now
    # profiled as pictures, without column cards)
    from kwk.data.samples import SAMPLES
    cols = list(SAMPLES["breast_cancer"].load().columns)
    at = with_sample("breast_cancer")
    assert len(at.get("plotly_chart")) <= 14  # 12 cards + the heatmap (+ class counts)
    pick = at.selectbox(key="col_page")
    assert len(pick.options) == 3
    pick.set_value(12).run()
    no_crash(at)
    def cards():  # the column names on the profile cards, in order
        return [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**")
                and m.value.split("**")[1] in cols]
    assert cards() and cards()[0] == cols[12]
    at.selectbox(key="col_page").set_value(24).run()
    at.text_input(key="col_filter").set_value("worst").run()  # fewer pages than the one shown
    no_crash(at)
    # back to the first page (10 columns left: one page, so no page picker either)
    assert "col_page" not in [w.key for w in at.selectbox]
    assert cards() == [c for c in cols if "worst" in c]
