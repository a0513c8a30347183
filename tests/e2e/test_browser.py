"""End to end in Chromium: upload → target → build (real drag) → train → evaluate → script."""
import subprocess
import sys

import pytest
from browser_util import nav, open_tab, pick_option, shot, wait_idle, wait_saved

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def choose(page, label_text: str, option: str) -> None:
    pick_option(page, label_text, option)  # opened again if a rerun closed the list


def upload(page, path) -> None:
    """Upload a file on the Data page and wait until the page shows it."""
    with page.expect_file_chooser() as fc:
        page.locator("section[data-testid=stFileUploaderDropzone] button:visible").first.click()
    fc.value.set_files(str(path))
    # the uploader lists the file name at once; the page's own signal is its heading (drawn by
    # the script run that read the file) with that run over
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('h3')].some(h => h.innerText.includes(name))"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        arg=path.name, timeout=120_000)


def train_flow(page, app_url, tmp_path, csv_path, target, tag, check, fresh=True):
    """Upload -> target -> build -> train -> evaluate -> script. ``fresh=False`` goes on in the
    same browser session (a second file after a first one)."""
    if fresh:
        page.goto(app_url)
        wait_idle(page)
    else:
        nav(page, "Data")
    upload(page, csv_path)
    shot(page, f"{tag}_1_data")
    nav(page, "Target")
    choose(page, "What should the model predict?", target)
    shot(page, f"{tag}_2_target")
    nav(page, "Build")
    if not fresh:  # the first file's stack is kept: start again from the table template
        page.get_by_role("button", name="Use the template for this data").click()
        wait_idle(page)
    choose(page, "Add a layer", "Dropout — Regularization")
    page.get_by_role("button", name="Add", exact=False).filter(has_text="➕").first.click()
    wait_idle(page)
    # streamlit-sortables renders in an iframe
    items = page.frame_locator("iframe[title*='sortables']").first.locator(".sortable-item")
    items.nth(2).wait_for(timeout=30_000)
    assert items.count() == 3 and "Dropout" in items.nth(2).inner_text()
    src, dst = items.nth(2).bounding_box(), items.nth(0).bounding_box()
    page.mouse.move(src["x"] + src["width"] / 2, src["y"] + src["height"] / 2)
    page.mouse.down()  # a real mouse drag, in small steps as a hand would
    page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + 2, steps=25)
    page.wait_for_timeout(300)
    page.mouse.up()
    wait_idle(page)
    from playwright.sync_api import expect
    expect(items.first).to_contain_text("1 · Dropout", timeout=30_000)  # the server reordered
    open_tab(page, "Keras code")
    code = page.get_by_test_id("stCode").first.inner_text()
    assert code.index("Dropout") < code.index("Dense(32")
    shot(page, f"{tag}_3_build")
    nav(page, "Train")
    ep = page.get_by_label("epochs", exact=True)
    ep.fill("4")
    ep.press("Tab")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_timeout(3000)
    shot(page, f"{tag}_4_training")
    wait_saved(page, 180)
    wait_idle(page, 120)
    shot(page, f"{tag}_4_train")
    nav(page, "Evaluate")
    check(page)
    shot(page, f"{tag}_5_evaluate")
    nav(page, "Predict & export")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Training script").click()
    script = tmp_path / f"{tag}_train_script.py"
    dl.value.save_as(script)
    out = tmp_path / f"{tag}_out"
    p = subprocess.run([sys.executable, str(script), str(csv_path), str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert (out / "model.keras").exists()
    shot(page, f"{tag}_6_predict")


def check_classification(page):
    page.get_by_text("Confusion matrix").first.wait_for()
    assert page.get_by_text("Balanced accuracy").count() >= 1
    open_tab(page, "Profiler")
    page.get_by_text("Each curve shows the prediction").wait_for()
    wait_idle(page)
    shot(page, "classification_5b_profiler")
    open_tab(page, "Importance")
    page.get_by_role("button", name="Compute importance").click()
    page.get_by_text("Permutation importance").first.wait_for(timeout=60_000)
    wait_idle(page)
    shot(page, "classification_5c_importance")


def check_regression(page):
    page.get_by_text("Residuals vs fitted").first.wait_for()
    # the metrics table draws on a canvas; its accessible copy can come a moment later
    page.get_by_text("RMSE").first.wait_for(state="attached", timeout=30_000)


def sidebar(page) -> str:
    return page.get_by_test_id("stSidebarNav").inner_text()


def test_two_files_in_one_session(page, app_url, tmp_path):
    """A classification table, then a regression table, in one browser session: the second
    file starts clean (no run, no ✓ marks of the first), and both flows work."""
    from kwk.data.samples import SAMPLES
    flowers, tips = tmp_path / "flowers.csv", tmp_path / "tips.csv"
    SAMPLES["iris"].load().to_csv(flowers, index=False)
    SAMPLES["tips"].load().to_csv(tips, index=False)
    train_flow(page, app_url, tmp_path, flowers, "species", "classification",
               check_classification)
    assert "Train ✓" in sidebar(page) and "Evaluate ✓" in sidebar(page)
    nav(page, "Data")
    upload(page, tips)
    # the page redraws the sidebar in a rerun after it has read the new file: wait for that
    # (a minute at most: marks that never clear fail here)
    page.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=\"stSidebarNav\"]').innerText;"
        " return !t.includes('Train ✓') && !t.includes('Evaluate ✓'); }", timeout=60_000)
    wait_idle(page)
    assert "Train ✓" not in sidebar(page) and "Evaluate ✓" not in sidebar(page)
    nav(page, "Train")
    assert page.get_by_text("The run is saved").count() == 0
    shot(page, "second_file_train_page")
    train_flow(page, app_url, tmp_path, tips, "tip", "regression", check_regression, fresh=False)
