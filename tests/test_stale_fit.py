"""Old results never pose as new (issue 29, items 2 and 4): whether a run belongs to the data
now loaded, whether its model can read a table, the typed-rows grid's columns and checks,
what a stack is in the template box's words, and the metrics table's compact layout."""
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kwk.prep.editor import (editor_columns, empty_grid, starting_rows, typed_rows,
                             typed_rows_problems)
from kwk.runs.fit import columns_fit, editor_columns_of, needed_columns, run_matches_data


def _run(name="iris.csv", fp="f-iris", target="species"):
    """A store row as Store.get returns it (the fields run_matches_data reads)."""
    return {"data_name": name, "fingerprint": fp, "spec": {"data": {"target": target}}}


def _loaded(name, fp):
    return SimpleNamespace(name=name, fingerprint=fp)


# --- run_matches_data --------------------------------------------------------------------------
def test_a_run_matches_the_same_bytes_and_target():
    assert run_matches_data(_run(), _loaded("iris.csv", "f-iris"), "species") == (True, "")
    assert run_matches_data(_run(), _loaded("iris.csv", "f-iris"), None) == (True, "")


def test_a_run_of_other_data_says_whose_it_is():
    ok, why = run_matches_data(_run(), _loaded("tips.csv", "f-tips"), "tip")
    assert not ok
    assert why == ("This run was trained on iris.csv (target species), not on tips.csv, the "
                   "data now loaded.")


def test_the_same_name_with_other_bytes_is_other_data():
    ok, why = run_matches_data(_run(), _loaded("iris.csv", "f-edited"), "species")
    assert not ok and "same name with other contents" in why


def test_the_same_data_with_another_target_does_not_match():
    ok, why = run_matches_data(_run(), _loaded("iris.csv", "f-iris"), "petal_width")
    assert not ok and "to predict species, not petal_width" in why


def test_no_data_loaded_and_a_run_json_record():
    ok, why = run_matches_data(_run(), None, None)
    assert not ok and "no data is loaded" in why
    record = {"data": {"name": "a.csv", "fingerprint": "x"}}  # run.json, spec beside it
    assert run_matches_data({**record, "spec": {"data": {"target": "y"}}},
                            _loaded("a.csv", "x"), "y") == (True, "")
    assert not run_matches_data(record, _loaded("b.csv", "z"), "y")[0]
    assert not run_matches_data({"data_name": "a.csv"}, _loaded("a.csv", ""), None)[0]


# --- the run's own column list -----------------------------------------------------------------
def test_needed_columns_come_from_the_runs_preprocessing(tmp_path):
    state = {"columns": [{"name": "lag", "kind": "numeric"}, {"name": "shop", "kind": "categorical",
                                                               "categories": ["a"]}],
             "target": {"name": "y", "task": "regression"},
             "sequence": {"time": "day", "group": "store", "window": 3, "horizon": 1}}
    (tmp_path / "preprocess.json").write_text(json.dumps(state))
    assert needed_columns(tmp_path) == ["lag", "shop", "day", "store"]
    assert columns_fit(["lag", "shop"], ["shop", "lag", "extra"]) == (True, "")
    ok, why = columns_fit(["a", "b", "c", "d", "e", "f", "g"], ["a"])
    assert not ok
    assert why == ("The data now loaded lacks 6 of the 7 column(s) this model reads (b, c, d, e, "
                   "f and 1 more).")


# --- the typed-rows grid -----------------------------------------------------------------------
def _fitted_state():
    """The preprocessing fitted by the engine on a table with a number, a category (counts
    5, 3, 2: most frequent first), a yes/no column and a date."""
    from kwk.prep.stats import fit_preprocessor
    from kwk.spec import resolve
    df = pd.DataFrame({
        "size": [1.0, 2.0, 3.0, 4.0, 100.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        "colour": ["red"] * 5 + ["blue"] * 3 + ["green"] * 2,
        "member": [True, False] * 5,
        "day": pd.date_range("2024-01-01", periods=10).strftime("%Y-%m-%d"),
        "y": [0, 1] * 5})
    spec, _ = resolve({"kwk_spec": 1, "data": {"target": "y", "task": "binary",
                                               "kinds": {"day": "datetime",
                                                         "member": "boolean"}},
                       "layers": []}, df)
    return fit_preprocessor(df, spec).state, df


def test_editor_columns_give_kinds_training_labels_and_a_typical_row(tmp_path):
    state, df = _fitted_state()
    cols = {c["name"]: c for c in editor_columns(state)}
    assert [c["name"] for c in editor_columns(state)] == ["size", "colour", "member", "day"]
    assert cols["size"]["kind"] == "numeric"
    assert cols["size"]["typical"] == pytest.approx(np.median(df["size"]))  # 6.5, not the mean
    assert cols["colour"]["kind"] == "categorical"
    assert cols["colour"]["levels"] == df["colour"].value_counts().index.tolist()
    assert cols["colour"]["typical"] == "red"
    assert cols["member"]["kind"] == "boolean"
    assert sorted(cols["member"]["levels"]) == ["False", "True"]
    assert cols["day"]["kind"] == "datetime" and cols["day"]["typical"] is None
    first = starting_rows(editor_columns(state))
    assert first.shape == (1, 4) and first.at[0, "size"] == pytest.approx(6.5)
    assert first.at[0, "colour"] == "red" and pd.isna(first.at[0, "day"])
    assert str(empty_grid(editor_columns(state))["member"].dtype) == "boolean"
    (tmp_path / "preprocess.json").write_text(json.dumps(state))
    assert editor_columns_of(tmp_path) == editor_columns(state)


def test_typed_rows_drop_empty_rows_and_bad_values_name_their_row_and_column():
    state, _ = _fitted_state()
    cols = editor_columns(state)
    grid = pd.DataFrame({"size": [2.5, np.nan, "abc", np.inf, None],
                         "colour": ["blue", None, "purple", "red", "  "],
                         "member": [True, None, "maybe", False, None],
                         "day": ["2024-03-01", "", "not a day", "2024-02-30", None]})
    rows = typed_rows(grid)
    assert len(rows) == 3  # the empty second and fifth rows are dropped
    problems = typed_rows_problems(rows, cols)
    assert problems == [
        "Row 2, column 'size': 'abc' is not a number.",
        "Row 3, column 'size': 'inf' is not a finite number.",
        "Row 2, column 'colour': 'purple' was never seen in training (choose one of: red, "
        "blue, green).",
        f"Row 2, column 'member': 'maybe' was never seen in training (choose one of: "
        f"{', '.join(cols[2]['levels'])}).",
        "Row 2, column 'day': 'not a day' is not a date (type it as 2024-05-31 or "
        "2024-05-31 14:30).",
        "Row 3, column 'day': '2024-02-30' is not a date (type it as 2024-05-31 or "
        "2024-05-31 14:30).",
    ]
    assert typed_rows_problems(rows.iloc[:1], cols) == []  # the good first row
    assert typed_rows_problems(rows.drop(columns="day"), cols) == [
        p for p in problems if "'day'" not in p] + ["Column 'day' is missing: the model reads it."]


def test_typed_rows_are_predicted_as_the_same_rows_from_a_file():
    """A typed row and the same row read from a CSV give the same encoded input."""
    from kwk.prep.preprocess import Preprocessor
    state, _ = _fitted_state()
    pre = Preprocessor.from_state(state)
    typed = typed_rows(pd.DataFrame({"size": [2.5], "colour": ["blue"],
                                     "member": pd.array([True], dtype="boolean"),
                                     "day": ["2024-03-01"]}))
    import io
    csv = pd.read_csv(io.StringIO("size,colour,member,day\n2.5,blue,True,2024-03-01\n"))
    np.testing.assert_allclose(pre.encode_rows(typed), pre.encode_rows(csv))


def test_grid_config_respects_each_kind():
    from kwk.ui.predict_grid import grid_config
    state, _ = _fitted_state()
    cfg = grid_config(editor_columns(state))
    assert cfg["size"]["type_config"]["type"] == "number"
    assert cfg["colour"]["type_config"] == {"type": "selectbox",
                                            "options": ["red", "blue", "green"]}
    assert cfg["member"]["type_config"]["type"] == "checkbox"
    assert cfg["day"]["type_config"]["type"] == "text"


# --- what the stack is -------------------------------------------------------------------------
def test_which_template_and_the_suggestion():
    from kwk.catalog.presets import TEMPLATES
    from kwk.spec.templates import stack_words, suggest_template, which_template
    for name, t in TEMPLATES.items():
        assert which_template(t["layers"], t.get("branches")) == name
    nine = [{"type": "Dense", "units": 64, "activation": "relu"}] * 9
    assert which_template(nine) is None
    assert stack_words(nine, None, "iris.csv") == \
        "Custom, 9 layers (kept from the previous data, iris.csv)"
    assert stack_words(TEMPLATES["Small MLP"]["layers"]) == "Small MLP"
    assert suggest_template("table", 244) == "Small MLP"
    assert suggest_template("table", 20_000) == "Deep & regularized"
    assert suggest_template("series", 20_000) == "LSTM (time series)"
    assert suggest_template("text") == "Embedding + GRU (text)"


def test_the_first_history_entry_says_where_the_stack_came_from():
    from kwk.spec.history import History, start_label
    nine = [{"type": "Dense", "units": 64}] * 9
    kept = {"data": "iris.csv", "layers": nine, "branches": None}
    assert start_label(kept, {"layers": nine}) == "kept the stack from iris.csv (9 layers)"
    assert start_label(kept, {"layers": [{"type": "LSTM"}]}) == \
        "started from a new stack (the one from iris.csv did not suit this data)"
    assert start_label(None, {"layers": nine}) == "start"
    h = History()
    h.observe({"layers": nine}, label=start_label(kept, {"layers": nine}))
    assert h.rows()[0]["change"] == "kept the stack from iris.csv (9 layers)"


# --- the metrics table -------------------------------------------------------------------------
def test_metrics_display_keeps_every_column_in_narrow_widths():
    from kwk.ui.tables import metrics_display, metrics_table
    m = {"task": "binary",
         "test": {"accuracy": 0.9, "balanced_accuracy": 0.88, "f1_macro": 0.87,
                  "log_loss": 0.3, "roc_auc": 0.95},
         "baseline": {"name": "majority class", "accuracy": 0.5},
         "simple_model": {"name": "logistic regression", "accuracy": 0.9},
         "reference": {"name": "HistGradientBoostingClassifier", "accuracy": 0.93}}
    comp = {"reference": {"accuracy": {"verdict": "about the same"}}}
    table = metrics_table(m, comp)
    shown, cols, names = metrics_display(table, m)
    assert list(shown.columns) == list(table.columns)  # nothing dropped
    assert shown["network vs gradient boosting"].iloc[0] == "≈ same"
    assert cols["HistGradientBoostingClassifier"]["label"] == "boosting"
    assert "HistGradientBoostingClassifier" in cols["HistGradientBoostingClassifier"]["help"]
    assert "HistGradientBoostingClassifier" in names and "logistic regression" in names
    # the widths add up to less than the main column of a 1,280 px window with the sidebar
    assert sum(c["width"] for c in cols.values()) <= 800
