"""What a first-time user stumbled on (issue: a newcomer's walk), each with a check."""
import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash, texts, with_sample


def train(at, epochs: int) -> None:
    """Train the current data from the Train page and wait for the run to be recorded."""
    goto(at, "4_train")
    at.number_input(key="tr0_epochs").set_value(epochs)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    assert at.session_state.job.wait(120)
    at.run()
    at.run()


def test_sizes_read_at_a_glance():
    from kwk.ui.tables import size_text
    assert size_text(512) == "512 bytes"
    assert size_text(3_400) == "3.4 kB"
    assert size_text(12_000_000) == "12.0 MB"
    assert size_text(2.5e12) == "2500.0 GB"


def test_missing_values_say_how_they_will_be_filled():
    from kwk.data.profile import profile
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"age": np.where(rng.random(200) < 0.2, np.nan, rng.integers(1, 90, 200)),
                       "city": np.where(rng.random(200) < 0.5, None, rng.choice(["Lyon", "Paris", "Nice"], 200)),
                       "y": rng.integers(0, 2, 200)})
    msgs = [w["message"] for w in profile(df)["warnings"]]
    age = next(m for m in msgs if m.startswith("age:"))
    assert "missing values (" in age and "training median" in age and "many" not in age
    city = next(m for m in msgs if m.startswith("city:"))
    assert "many missing values" in city and "no category" in city


def test_data_page_counts_and_memory_read_naturally():
    at = with_sample("iris")
    shown = texts(at)
    assert "1 things" not in shown
    memory = next(m.value for m in at.metric if m.label == "Memory")
    assert memory.endswith(("bytes", "kB", "MB", "GB")) and memory != "0.0 MB"


def test_training_loss_is_said_in_the_targets_units():
    from kwk.evaluation.curves import readable_loss
    spec = {"data": {"task": "regression", "target": "price"},
            "training": {"loss": "auto"}}
    name, label, c = readable_loss({"loss": [4.0, 1.0], "val_loss": [0.25, None]}, spec,
                                   {"std": 2.0})
    assert (name, label) == ("RMSE", "RMSE in price's units")
    assert c == {"loss": [4.0, 2.0], "val_loss": [1.0, None]}
    spec["training"]["loss"] = "mean_absolute_error"
    _, label, c = readable_loss({"loss": [0.5]}, spec, {"std": 3.0})
    assert label == "MAE in price's units" and c["loss"] == [1.5]
    spec["training"]["loss"] = "huber"
    assert "standardised price" in readable_loss({"loss": [0.5]}, spec, {"std": 3.0})[1]
    spec = {"data": {"task": "binary", "target": "y"}, "training": {"loss": "auto"}}
    assert readable_loss({"loss": [0.7]}, spec, {})[0] == "log loss"


@pytest.mark.slow
def test_train_page_shows_the_validation_error_in_target_units():
    import json

    from tests.app.test_pages import T
    at = with_sample("diabetes")
    goto(at, "4_train")
    at.number_input(key="tr0_epochs").set_value(3)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    assert at.session_state.job.wait(120)
    at.run()
    no_crash(at)
    labels = [m.label for m in at.metric]
    assert "Validation RMSE" in labels, labels
    job = at.session_state.job
    std = job.prepared.pre.state["target"]["std"]
    shown = float(next(m.value for m in at.metric if m.label == "Validation RMSE"))
    raw = job.snapshot()["history"]["val_loss"][-1]
    assert shown == pytest.approx(raw ** 0.5 * std, rel=1e-3)


def test_importance_axis_names_its_score():
    from kwk import plots
    from kwk.evaluation.analysis import importance_axis
    imp = pd.DataFrame({"feature": ["a", "b"], "importance": [0.3, -0.01], "sd": [0.05, 0.02]})
    fig = plots.importance_chart(imp, importance_axis("regression", "price"))
    assert "RMSE (price's units)" in fig.layout.xaxis.title.text
    assert "log-likelihood" in importance_axis("binary", "y")


def test_simple_model_warning_only_outside_the_noise():
    from kwk.ui.tables import metrics_table, simple_model_notice
    m = {"task": "regression", "test": {"rmse": 30.0, "mae": 20.0, "r2": 0.8},
         "simple_model": {"name": "linear regression", "rmse": 29.9, "mae": 19.9, "r2": 0.81},
         "baseline": {"name": "mean", "rmse": 40.0, "mae": 30.0, "r2": 0.0}}
    same = {n: {"verdict": "about the same"} for n in ("rmse", "mae", "r2")}
    note = simple_model_notice(m, same)
    assert "about the same" in note and "does better" not in note
    worse = {**same, "rmse": {"verdict": "worse"}}
    assert "does better than the network on RMSE" in simple_model_notice(m, worse)
    t = metrics_table(m, {"baseline": {n: {"verdict": "better"} for n in same},
                          "simple_model": same})
    cols = list(t.columns)
    # each verdict column sits right after the model it compares with
    assert cols.index("network vs baseline") == cols.index("baseline: mean") + 1
    assert cols.index("network vs simple model") == cols.index("linear regression") + 1
    assert set(t["network vs simple model"]) == {"≈ about the same"}


@pytest.mark.slow
def test_evaluate_page_compares_on_the_same_rows():
    at = with_sample("iris")
    train(at, 3)
    goto(at, "5_evaluate")
    table = at.dataframe[0].value
    assert {"network vs baseline", "network vs simple model"} <= set(table.columns)
    assert "iris.csv" in texts(at)
    assert at.session_state.comparisons[at.session_state.run_id]["simple"]


def test_profiler_draws_categories_as_points_in_their_own_order_on_one_scale():
    from kwk import plots
    from kwk.evaluation.analysis import profile_grid, shared_range
    shelf = pd.Series(["Medium"] * 50 + ["Bad"] * 30 + ["Good"] * 20)
    assert profile_grid(shelf, "categorical") == ["Bad", "Good", "Medium"]  # not by frequency
    ordered = shelf.astype(pd.CategoricalDtype(["Bad", "Medium", "Good"], ordered=True))
    assert profile_grid(ordered, "categorical") == ["Bad", "Medium", "Good"]
    assert profile_grid(pd.Series(["10", "2", "1", "2"]), "categorical") == ["1", "2", "10"]
    curve = pd.DataFrame({"value": ["Bad", "Medium", "Good"], "prediction": [5.0, 7.0, 9.5]})
    fig = plots.profiler_chart(curve, "ShelveLoc", "Good", "sales", [0, 10], categorical=True)
    trace = fig.data[-1]
    assert trace.mode == "markers"  # no line joining categories
    assert list(trace.marker.color).count(plots.SECOND) == 1  # the current value is marked
    curves = {"a": pd.DataFrame({"prediction": [1.0, 1.4]}),
              "b": pd.DataFrame({"prediction": [0.0, 10.0]})}
    lo, hi = shared_range(curves)
    assert lo < 0 and hi > 10  # both panels get the scale of the widest


@pytest.mark.parametrize("modality,offered,hidden", [
    ("table", "Small MLP", "Small CNN (images)"),
    ("images", "Small CNN (images)", "Embedding + GRU (text)"),
    ("series", "LSTM (time series)", "Small CNN (images)"),
    ("text", "Embedding + GRU (text)", "Linear model")])
def test_templates_and_layers_offered_per_modality(modality, offered, hidden):
    from kwk.catalog.presets import DEFAULT_FOR_MODALITY, layers_for, templates_for
    names = templates_for(modality)
    assert names[0] == DEFAULT_FOR_MODALITY[modality] and offered in names and hidden not in names
    layers = layers_for(modality)
    assert "Dense" in layers and "Dropout" in layers
    assert ("Conv2D" in layers) == (modality == "images")
    assert ("Embedding" in layers) == (modality == "text")


def test_build_offers_what_fits_and_asks_before_replacing_the_stack():
    at = with_sample("iris")
    goto(at, "3_build")
    assert "Small CNN (images)" not in at.selectbox(key="template_table").options
    assert "Conv2D" not in at.selectbox(key="palette").options
    at.toggle(key="build_show_all").set_value(True).run()
    assert "Small CNN (images)" in at.selectbox(key="template_table").options
    before = list(at.session_state.spec["layers"])
    at.selectbox(key="template_table").set_value("Small CNN (images)").run()
    at.button(key="apply_template").click().run()
    assert at.session_state.spec["layers"] == before and "replaces your" in texts(at)
    at.button(key="cancel_template").click().run()
    assert at.session_state.spec["layers"] == before and "replaces your" not in texts(at)
    at.button(key="apply_template").click().run()
    at.button(key="confirm_template").click().run()
    no_crash(at)
    shown = " ".join(e.value for e in at.error)
    assert "Layer 1 (Conv2D)" in shown and "the data is rows of a table, not pictures" in shown
    assert "above it" not in shown


def test_diagram_draws_wider_layers_wider():
    from kwk import plots
    rows = [{"name": "input", "shape": (4,), "params": 0},
            {"name": "1_dense", "shape": (32,), "params": 160},
            {"name": "2_dense", "shape": (16,), "params": 528},
            {"name": "output", "shape": (1,), "params": 17}]
    nodes = plots.network_diagram(rows).data[1]
    per_layer = [list(nodes.x).count(i) for i in range(4)]
    assert per_layer[1] > per_layer[2] > per_layer[0] > per_layer[3] == 1
    spread = [max(y for x, y in zip(nodes.x, nodes.y) if x == i) for i in (1, 2)]
    assert spread[0] > spread[1]


def test_split_column_is_asked_for_only_when_validation_is_column():
    at = with_sample("iris")
    goto(at, "4_train")
    assert "validation_column_select" not in [s.key for s in at.selectbox]
    at.selectbox(key="tr0_validation").set_value("column").run()
    assert "validation_column_select" in [s.key for s in at.selectbox]
    at.selectbox(key="tr0_validation").set_value("kfold").run()
    assert "validation_column_select" not in [s.key for s in at.selectbox]


def test_playground_proposes_useful_inputs_not_ids_or_the_target():
    from kwk.data.profile import profile
    from kwk.playground.engine import suggest_inputs
    rng = np.random.default_rng(0)
    n = 300
    signal, noise = rng.normal(size=n), rng.normal(size=n)
    df = pd.DataFrame({"rownames": np.arange(1, n + 1), "noise": noise,
                       "price": rng.normal(size=n), "signal": signal,
                       "Sales": 3 * signal + rng.normal(scale=0.5, size=n)})
    kinds = {c["name"]: c["kind"] for c in profile(df)["columns_info"]}
    got = suggest_inputs(df, "Sales", kinds)
    assert got[0] == "signal" and "rownames" not in got and "Sales" not in got


def test_a_shared_my_data_link_opens_with_its_settings_and_says_so():
    from kwk.playground.engine import Config
    cfg, problems = Config.from_query({"dataset": "user", "layers": "3,2"})
    assert problems == [] and cfg.dataset == "user" and cfg.layers == [3, 2]


@pytest.mark.slow
def test_playground_my_data_keeps_its_layout_and_explains():
    from streamlit.testing.v1 import AppTest

    from tests.app.test_pages import APP, T
    at = AppTest.from_file(APP, default_timeout=T)
    at.query_params["dataset"] = "user"
    at.run()
    goto(at, "8_playground")
    assert at.radio(key="pg_source").value == "mine"
    assert "a link cannot carry" in texts(at)
    assert not any("not a playground dataset" in w.value for w in at.warning)


def test_runs_can_be_named_and_annotated_and_old_workspaces_upgrade(tmp_path):
    import sqlite3

    from kwk.runs.store import Store
    old = tmp_path / "old"
    (old / "runs").mkdir(parents=True)
    with sqlite3.connect(old / "runs.sqlite") as db:  # a workspace from before notes existed
        db.execute("CREATE TABLE runs (id TEXT PRIMARY KEY, created TEXT NOT NULL, owner TEXT "
                   "NOT NULL DEFAULT '', name TEXT, data_name TEXT, fingerprint TEXT, task TEXT, "
                   "status TEXT, metric TEXT, value REAL, seconds REAL, epochs INTEGER, "
                   "parameters INTEGER, metrics TEXT, spec TEXT)")
        db.execute("INSERT INTO runs (id, created, owner, metrics, spec) VALUES "
                   "('abc123', '2026-01-01', '', '{}', '{}')")
    store = Store(old)
    assert store.list()[0]["notes"] == ""
    assert store.describe("abc123", "", "  first try  ", "lr 0.01 was too high")
    r = store.list()[0]
    assert (r["name"], r["notes"]) == ("first try", "lr 0.01 was too high")
    assert not store.describe("abc123", "someone@else", "mine now")


@pytest.mark.slow
def test_runs_page_names_runs_groups_comparisons_and_hides_server_paths():
    at = with_sample("iris")
    for target, epochs in (("species", 2), ("sepal length (cm)", 2), ("species", 3)):
        goto(at, "2_target")
        at.selectbox(key="target_select").set_value(target).run()
        train(at, epochs)
    goto(at, "7_runs")
    assert "Saved on the server" in texts(at)
    assert str(at.session_state.data.name) and "kwk_workspace" not in texts(at)
    at.multiselect(key="compare_sel").set_value(list(at.dataframe[0].value["run"])).run()
    no_crash(at)
    groups = at.radio(key="compare_group")
    # each group names the data file (issue 35: the same target on other data is another group)
    assert set(groups.options) == {"species (multiclass) — iris.csv",
                                   "sepal length (cm) (regression) — iris.csv"}
    groups.set_value("species (multiclass) — iris.csv").run()
    metrics = at.dataframe[1].value
    assert metrics.drop(columns="metric").notna().all().all()  # no None cells
    sel = at.selectbox(key="runs_sel").value
    at.text_input(key=f"run_name_{sel}").set_value("baseline MLP")
    at.text_area(key=f"run_notes_{sel}").set_value("first try")
    at.button(key="save_run_notes").click().run()
    assert "baseline MLP" in at.dataframe[0].value["name"].tolist()


@pytest.mark.slow
def test_threshold_chosen_on_evaluate_is_used_by_predict_and_unusual_rows_are_flagged():
    at = with_sample("churn")
    train(at, 2)
    goto(at, "5_evaluate")
    at.slider(key="threshold").set_value(0.3).run()
    at.button(key="threshold_save").click().run()
    no_crash(at)
    run_id = at.session_state.run_id
    from kwk.ui.state import store
    assert store().threshold(run_id) == pytest.approx(0.3)
    goto(at, "6_predict")
    assert at.slider(key=f"pred_threshold_{run_id}").value == pytest.approx(0.3)
    odd = at.session_state.data.df.head(20).copy()
    odd.loc[odd.index[0], "plan"] = "Excellent"
    at.file_uploader(key="pred_upload").set_value(
        ("odd.csv", odd.to_csv(index=False).encode(), "text/csv")).run()
    no_crash(at)
    assert "Labelled at the decision threshold 0.30" in texts(at)
    assert any("1 of 20 rows have values the model never saw" in w.value for w in at.warning)
    pred = at.session_state.predictions
    at.slider(key=f"pred_threshold_{run_id}").set_value(0.9).run()
    assert store().threshold(run_id) == pytest.approx(0.9)
    assert (at.session_state.predictions["prediction"] != pred["prediction"]).any() or \
        "Labelled at the decision threshold 0.90" in texts(at)


@pytest.mark.slow
def test_elapsed_counts_the_whole_job_and_never_goes_back(iris_df):
    from testutil import tiny_spec

    from kwk.prep.prepare import prepare

    from kwk.training import Job
    job = Job(prepare(iris_df, tiny_spec("species", epochs=3))).start()
    seen = []
    while not job.wait(0.05):
        seen.append(job.snapshot()["elapsed"])
    final = job.snapshot()["elapsed"]
    assert final >= max(seen, default=0.0) and final >= job.result.seconds


def test_evaluate_offers_the_analyses_that_mean_something():
    from kwk.evaluation.analysis import analyses_for, profiler_bands
    assert analyses_for("binary", "table") == ["Charts", "Decision threshold", "Importance",
                                                "Profiler", "Report"]
    assert analyses_for("regression", "series") == ["Charts", "Forecast", "Importance", "Report"]
    assert analyses_for("multiclass", "text") == ["Charts", "Report"]
    assert "Profiler" not in analyses_for("multiclass", "images")  # 784 pixel sweeps held it
    curves = {"a": pd.DataFrame({"prediction": [1.0, 2.0]})}
    others = [{"a": pd.DataFrame({"prediction": [0.5, 3.0]})}]
    lo, hi = profiler_bands(curves, others)["a"]
    assert list(lo) == [0.5, 2.0] and list(hi) == [1.0, 3.0]
    assert profiler_bands(curves, []) == {}
