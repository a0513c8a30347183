"""A class challenge in Chromium (issue 32, item 2): a teacher creates a challenge from the iris
sample on the Challenge page and downloads student.zip and key.csv; student Alice opens the zip
on the Challenge page, trains a network and downloads her submission; student Bob opens it on
the Data page, finds the challenge (its goal) on the Challenge page and hands in the majority
class for every row; the teacher uploads both submissions at once and the leaderboard ranks
Alice above Bob, with the scores scikit-learn gives."""
import io
import json
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from browser_util import nav, open_tab, shot, use_sample, wait_idle, wait_saved

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_browser import upload  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _upload_to(page, label: str, paths) -> None:
    """Give files to the visible uploader whose label holds ``label``."""
    box = page.get_by_test_id("stFileUploader").filter(has_text=label).locator("visible=true")
    with page.expect_file_chooser() as fc:
        box.first.locator("section[data-testid=stFileUploaderDropzone] button").click()
    fc.value.set_files([str(p) for p in paths])


def _download(page, button: str, path: Path) -> Path:
    with page.expect_download() as dl:
        page.get_by_role("button", name=button).click()
    dl.value.save_as(path)
    return path


def _open_challenge_page(page, tab: str | None = None) -> None:
    nav(page, "Challenge")
    if tab:
        open_tab(page, tab)
        wait_idle(page)


def test_a_teacher_and_two_students(browser, app_url, tmp_path):
    # --- the teacher: the iris sample, a goal, the files
    teacher = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    t = teacher.new_page()
    t.set_default_timeout(120_000)
    use_sample(t, app_url, "Iris flowers", "iris")
    _open_challenge_page(t, "🧑‍🏫 Teacher")
    t.get_by_text("Set a goal").click()
    wait_idle(t)
    goal = t.get_by_label("Goal (balanced accuracy)")
    goal.fill("0.6")
    goal.press("Tab")
    wait_idle(t)
    t.get_by_role("button", name="Create the challenge").click()
    t.get_by_text("whose answers only you keep").first.wait_for()
    wait_idle(t)
    shot(t, "challenge_1_teacher")
    zip_path = _download(t, "student.zip (for the students)", tmp_path / "student.zip")
    key_path = _download(t, "key.csv (keep it to yourself)", tmp_path / "key.csv")
    meta = json.loads(zipfile.ZipFile(zip_path).read("challenge.json"))
    assert (meta["target"], meta["metric"], meta["goal"]) == ("species", "balanced_accuracy", 0.6)
    key = pd.read_csv(key_path)
    assert list(key.columns) == ["row_id", "species"] and len(key) == 38

    # --- Alice opens the zip on the Challenge page, trains, downloads her submission
    alice_ctx = browser.new_context(accept_downloads=True,
                                    viewport={"width": 1400, "height": 1000})
    a = alice_ctx.new_page()
    a.set_default_timeout(120_000)
    a.goto(app_url)
    wait_idle(a)
    _open_challenge_page(a, "🎓 Student")
    _upload_to(a, "Open the challenge", [zip_path])
    a.get_by_text("build a network and train it").wait_for()
    wait_idle(a)
    shot(a, "challenge_2_student_opened")
    nav(a, "Build")
    a.get_by_text("The network is valid").wait_for()
    nav(a, "Train")
    ep = a.get_by_label("epochs", exact=True)
    ep.fill("60")
    ep.press("Tab")
    wait_idle(a)
    a.get_by_role("button", name="Start training").click()
    wait_saved(a, 300)
    wait_idle(a, 120)
    nav(a, "Challenge")  # the Student tab opens first now: the data is a challenge
    a.get_by_text("The goal is at least 0.6").wait_for()
    a.get_by_role("button", name="Predict the test rows").click()
    a.get_by_role("button", name="Download my submission (CSV)").wait_for()
    wait_idle(a)
    shot(a, "challenge_3_student_submission")
    alice = _download(a, "Download my submission (CSV)", tmp_path / "alice.csv")
    sub = pd.read_csv(alice)
    assert list(sub.columns) == ["row_id", "prediction"] and set(sub["row_id"]) == set(key["row_id"])

    # --- Bob opens the zip on the Data page; the Challenge page finds it; he hands in the
    # most common class of the training rows for every test row
    bob_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    b = bob_ctx.new_page()
    b.set_default_timeout(120_000)
    b.goto(app_url)
    wait_idle(b)
    upload(b, zip_path)
    b.get_by_text("is a class challenge").first.wait_for()
    nav(b, "Challenge")
    b.get_by_text("Scored by balanced accuracy (higher is better); goal: at least 0.6").wait_for()
    z = zipfile.ZipFile(zip_path)
    train = pd.read_csv(io.BytesIO(z.read("train.csv")))
    test = pd.read_csv(io.BytesIO(z.read("test.csv")))
    bob = tmp_path / "bob.csv"
    pd.DataFrame({"row_id": test["row_id"],
                  "prediction": train["species"].mode()[0]}).to_csv(bob, index=False)

    # --- the teacher ranks both at once
    _open_challenge_page(t, "🧑‍🏫 Teacher")
    _upload_to(t, "Submissions", [bob, alice])
    t.get_by_text("Ranked by balanced accuracy").wait_for()
    wait_idle(t)
    shot(t, "challenge_4_leaderboard")
    rows = t.get_by_test_id("stTable").last.locator("tbody tr")
    cells = [[c.strip() for c in rows.nth(i).locator("td, th").all_inner_texts()]
             for i in range(rows.count())]
    from sklearn.metrics import balanced_accuracy_score
    truth = key.set_index("row_id")["species"]

    def score(p: Path) -> float:
        s = pd.read_csv(p).set_index("row_id")["prediction"]
        return balanced_accuracy_score(truth, s.loc[truth.index])

    assert score(bob) == pytest.approx(1 / 3)  # one class for every row
    assert score(alice) > score(bob), "the trained network should beat the majority class"
    assert [(c[0], c[1]) for c in cells] == [("1", "alice"), ("2", "bob")], cells
    assert [float(c[2]) for c in cells] == pytest.approx([score(alice), score(bob)], abs=1e-4)
    for ctx in (teacher, alice_ctx, bob_ctx):
        ctx.close()
