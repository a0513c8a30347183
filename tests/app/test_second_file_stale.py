"""A second file after a trained run (issue 29, item 2): Evaluate and Predict say the run
belongs to other data, with 'Train on …' and 'Keep looking at …'; the sidebar's ticks follow
the data now loaded; Build says the stack was kept and offers the template for the new data.
Item 4: rows typed in Predict's grid are predicted, and a bad one is refused with its row and
column."""
import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import goto, no_crash, texts, with_sample
from testutil import tiny_spec

NINE = [{"type": "Dense", "units": 16, "activation": "relu"}] * 9


def _iris_run() -> str:
    """A tiny run trained on the iris sample, saved as the Train page would (the sample's
    name and fingerprint, so it belongs to the iris data the app loads)."""
    from kwk.data.loader import fingerprint_bytes
    from kwk.data.samples import SAMPLES
    from kwk.runs.service import DataSource, save_run
    from kwk.runs.store import Store
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    df = SAMPLES["iris"].load()
    fp = fingerprint_bytes(df.to_csv(index=False).encode())
    r = Job(prepare(df, tiny_spec("species", epochs=2))).run()
    return save_run(r, DataSource(name="iris.csv", fmt="csv", fingerprint=fp, path="iris.csv"),
                    store=Store())


def sidebar(at) -> list[str]:
    """The sidebar's page titles as the last run registered them (with their ✓ marks), without
    the emoji each title starts with ("🏋️ Train ✓" -> "Train ✓")."""
    return [p["page_name"].split(" ", 1)[1] for p in at._registered_pages.values()]


def _warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


@pytest.mark.slow
def test_a_second_file_makes_the_old_run_say_whose_it_is():
    rid = _iris_run()
    at = with_sample("iris")
    at.session_state.run_id = rid
    spec = dict(at.session_state.spec)
    at.session_state.spec = {**spec, "layers": [dict(layer) for layer in NINE]}
    goto(at, "5_evaluate")
    assert "not on" not in _warnings(at)  # its own data: no warning, and the ticks
    goto(at, "6_predict")
    assert {"Train ✓", "Evaluate ✓"} <= set(sidebar(at))

    goto(at, "1_data")
    at.selectbox(key="sample_choice").set_value("tips").run()
    at.button(key="use_sample").click().run()
    no_crash(at)
    goto(at, "2_target")
    at.selectbox(key="target_select").set_value("total_bill").run()
    no_crash(at)
    assert at.session_state.target == "total_bill"

    reason = ("This run was trained on iris.csv (target species), not on tips.csv, the data "
              "now loaded.")
    for page in ("5_evaluate", "6_predict"):
        goto(at, page)
        assert reason in _warnings(at), (page, _warnings(at))
        labels = [b.label for b in at.button]
        assert "🏋️ Train on tips.csv (target total_bill)" in labels
        assert "👀 Keep looking at iris.csv" in labels
        titles = sidebar(at)
        assert {"Train", "Evaluate", "Predict & export"} <= set(titles), titles
        assert not {"Train ✓", "Evaluate ✓", "Predict & export ✓"} & set(titles)
    # Predict does not try the old model on the new file: the run's own columns decide
    assert at.button(key="pred_current").disabled
    assert "lacks 4 of the 4 column(s) this model reads" in texts(at)
    # keep looking: the warning shrinks to a line
    at.button(key="stale_keep_predict").click().run()
    no_crash(at)
    assert reason not in _warnings(at) and reason in texts(at)
    goto(at, "5_evaluate")
    assert reason not in _warnings(at) and not at.session_state.evaluated

    # train on the new data: Build, which tells the truth about the kept stack
    at.session_state.stale_ok = []
    at.run()
    at.button(key="stale_train_evaluate").click().run()
    no_crash(at)
    assert at.title[0].value.endswith("Build the network")
    goto(at, "3_build")  # AppTest would run the page it was last sent to again
    box = at.selectbox(key="template_table")
    assert box.value is None
    assert box.proto.placeholder == "Custom, 9 layers (kept from the previous data, iris.csv)"
    assert "Small MLP" not in (box.value or "")
    assert "kept from **iris.csv**" in texts(at)
    assert at.session_state.history.rows()[0]["change"] == "kept the stack from iris.csv (9 layers)"
    assert "kept the stack from iris.csv (9 layers)" in texts(at)  # in the history's list
    at.button(key="use_suited").click().run()
    no_crash(at)
    from kwk.ui.state import template_stacks
    assert at.session_state.spec["layers"] == template_stacks("Small MLP")["layers"]
    assert at.selectbox(key="template_table").value == "Small MLP"  # now it is that template
    assert at.session_state.history.next_undo.startswith("applied the template 'Small MLP'")


@pytest.mark.slow
def test_typed_rows_are_predicted_and_a_bad_one_is_refused_with_its_row_and_column():
    from kwk.data.samples import SAMPLES
    from kwk.runs.store import Store
    from kwk.runs.bundle import load_bundle
    rid = _iris_run()
    at = with_sample("iris")
    at.session_state.run_id = rid
    goto(at, "6_predict")
    grid = at.data_editor[0]
    df = SAMPLES["iris"].load()
    feats = [c for c in df.columns if c != "species"]
    assert list(grid.value.columns) == feats and len(grid.value) == 1  # a typical row
    assert grid.editing_mode == "dynamic"

    typed = df[feats].iloc[[0, 100]].reset_index(drop=True)
    at.session_state.pred_grid = (rid, typed, 7)  # as if typed or pasted in the grid
    at.run()
    at.button(key="pred_typed").click().run()
    no_crash(at)
    pred = at.session_state.predictions
    expected = load_bundle(Store().run_dir(rid)).predict(df.iloc[[0, 100]][feats])
    assert pred["prediction"].tolist() == expected["prediction"].tolist()
    shown = at.dataframe[-1].value  # the predictions table: the answer first
    assert list(shown.columns)[0] == "prediction"
    assert [c for c in shown.columns][1:4] == [f"proba_{c}" for c in
                                               ("setosa", "versicolor", "virginica")]

    bad = typed.copy()
    bad.loc[1, feats[2]] = np.inf
    at.session_state.pred_grid = (rid, bad, 9)
    at.run()
    at.button(key="pred_typed").click().run()
    no_crash(at)
    errors = "\n".join(e.value for e in at.error)
    assert f"Row 2, column '{feats[2]}': 'inf' is not a finite number." in errors
    assert at.session_state.pred_source[1] == "typed:7"  # the good rows' predictions stay
    assert isinstance(at.session_state.predictions, pd.DataFrame)


def test_reading_the_new_file_again_keeps_where_the_stack_came_from():
    at = with_sample("iris")
    at.session_state.spec = {**at.session_state.spec, "layers": [dict(x) for x in NINE]}
    at.run()
    for _ in range(2):  # tips, then tips read again: the stack is still iris's
        goto(at, "1_data")
        at.selectbox(key="sample_choice").set_value("tips").run()
        at.button(key="use_sample").click().run()
        no_crash(at)
    goto(at, "3_build")
    box = at.selectbox(key="template_table")
    assert box.value is None
    assert box.proto.placeholder == "Custom, 9 layers (kept from the previous data, iris.csv)"
    assert at.session_state.history.rows()[0]["change"] == "kept the stack from iris.csv (9 layers)"
    at.button(key="use_suited").click().run()  # now the stack is tips's own template
    goto(at, "1_data")
    at.selectbox(key="sample_choice").set_value("iris").run()
    at.button(key="use_sample").click().run()
    goto(at, "3_build")
    assert at.selectbox(key="template_table").value == "Small MLP"
    assert at.session_state.history.rows()[0]["change"] == "kept the stack from tips.csv (2 layers)"
