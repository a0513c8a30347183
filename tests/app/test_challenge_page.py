"""The Challenge page (issue 32, item 2): the teacher creates a challenge from the loaded data
and ranks submissions; the student opens student.zip (the training rows become the data, the
target chosen), compares the run with the goal and downloads a submission."""
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash, texts, with_sample
from testutil import tiny_spec

from kwk.learn import challenge as ch


def _teacher_creates(at, goal=None):
    goto(at, "11_challenge")
    assert at.radio(key="ch_src_2").value == "The loaded data"
    assert at.selectbox(key="ch_target").value == "species"
    if goal is not None:
        at.checkbox(key="ch_want_goal").check().run()
        at.number_input(key="ch_goal_balanced_accuracy_species").set_value(goal).run()
    at.button(key="ch_create").click().run()
    no_crash(at)
    return at.session_state["challenge_made"]


def test_the_teacher_creates_a_challenge_and_ranks_submissions():
    at = with_sample("iris")
    made = _teacher_creates(at, goal=0.9)
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("student.zip" in b for b in labels) and any("key.csv" in b for b in labels)
    z = zipfile.ZipFile(io.BytesIO(made["zip"]))
    assert set(z.namelist()) == {"train.csv", "test.csv", "challenge.json"}
    assert made["meta"]["goal"] == 0.9 and made["meta"]["metric"] == "balanced_accuracy"
    key = pd.read_csv(io.BytesIO(made["key"]))
    assert len(key) == 38 and list(key.columns) == ["row_id", "species"]
    # three students: right everywhere, right on all but five rows, one row missing
    best = key.rename(columns={"species": "prediction"})
    worse = best.copy()
    worse.loc[:4, "prediction"] = np.where(worse.loc[:4, "prediction"] == "setosa",
                                           "virginica", "setosa")
    csv = lambda d: d.to_csv(index=False).encode()  # noqa: E731
    assert at.radio(key="ch_key_src_2").value == "The challenge made above"
    at.file_uploader(key="ch_subs").set_value([
        ("bea.csv", csv(worse), "text/csv"), ("al.csv", csv(best), "text/csv"),
        ("cy.csv", csv(best.iloc[1:]), "text/csv")]).run()
    no_crash(at)
    table = at.table[-1].value
    assert list(table["Name"]) == ["al", "bea", "cy"]
    assert list(table["Rank"]) == ["1", "2", "—"]
    from sklearn.metrics import balanced_accuracy_score
    assert float(table["Score"][1]) == pytest.approx(
        balanced_accuracy_score(key["species"], worse["prediction"]), abs=1e-4)
    assert table["Goal"][0] == "✓ reached"
    assert "have no prediction" in table["Refused because"][2]
    assert "higher is better" in texts(at)


def test_a_bad_goal_is_explained_on_the_page():
    at = with_sample("iris")
    goto(at, "11_challenge")
    at.radio(key="ch_src_2").set_value("The loaded data").run()
    at.slider(key="ch_fraction").set_value(0.1).run()
    at.checkbox(key="ch_want_goal").check().run()
    at.number_input(key="ch_goal_balanced_accuracy_species").set_value(1.5).run()
    at.button(key="ch_create").click().run()
    no_crash(at)
    assert any("goal 1.5 cannot be a balanced accuracy" in e.value for e in at.error)
    assert "challenge_made" not in at.session_state


def _student_zip(goal=0.5):
    from kwk.data.samples import SAMPLES
    c = ch.create(SAMPLES["iris"].load(), "species", goal=goal, seed=2)
    return c, ch.student_zip(c)


def test_a_student_zip_opens_as_the_data_with_its_target():
    c, data = _student_zip()
    at = app()
    goto(at, "11_challenge")
    at.file_uploader(key="ch_student_zip").set_value(("student.zip", data, "application/zip"))
    at.run()
    no_crash(at)
    ld = at.session_state["data"]
    assert len(ld.df) == len(c.train) and at.session_state["target"] == "species"
    assert at.session_state["task"] == "multiclass"
    assert "build a network and train it" in texts(at)
    assert [m.value for m in at.metric][:2] == ["species", "multiclass"]


def test_a_student_zip_opened_on_the_data_page_is_found_by_the_challenge_page():
    c, data = _student_zip()
    at = app()
    at.file_uploader(key="upload").set_value(("student.zip", data, "application/zip")).run()
    no_crash(at)
    assert "is a class challenge" in texts(at)
    assert at.session_state["target"] is None
    goto(at, "11_challenge")
    assert at.session_state["target"] == "species"  # chosen by the challenge
    assert "build a network and train it" in texts(at)


@pytest.mark.slow
def test_a_student_trains_sees_the_goal_and_downloads_a_submission():
    from kwk.runs.service import DataSource, save_run
    from kwk.runs.store import Store
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    c, data = _student_zip(goal=0.5)
    at = app()
    goto(at, "11_challenge")
    at.file_uploader(key="ch_student_zip").set_value(("student.zip", data, "application/zip"))
    at.run()
    ld = at.session_state["data"]
    r = Job(prepare(ld.df, tiny_spec("species", epochs=30))).run()
    save_run(r, DataSource(name=ld.name, fmt=ld.fmt, fingerprint=ld.fingerprint,
                           path="student.zip"), store=Store())
    at.run()
    no_crash(at)
    held = r.metrics["test"]["balanced_accuracy"]
    shown = [s.value for s in at.success] + [w.value for w in at.warning]
    assert any(f"{held:.4g}" in s and "goal is at least 0.5" in s for s in shown), shown
    at.button(key="ch_predict").click().run()
    no_crash(at)
    sub = at.session_state["challenge_sub"]
    got = pd.read_csv(io.BytesIO(sub[1]))
    assert list(got.columns) == ["row_id", "prediction"]
    assert set(got["row_id"]) == set(c.key["row_id"])
    assert any("Download my submission" in b.proto.label for b in at.get("download_button"))
    out = ch.score((c.key, "species"), got, c.meta, bootstrap=0)
    assert out["rows"] == len(c.key) and 0 <= out["score"] <= 1
