"""A second file after a trained run, in Chromium (issue 29, items 2 and 4): every page's
words and the sidebar follow the data now loaded (Evaluate and Predict say the run was
trained on iris, not on tips, with 'Train on …' and 'Keep looking at …'; Build names the kept
stack and offers the template for tips); and at 1,280 and 1,400 px wide the metrics table and
the prediction are on screen without scrolling sideways (screenshots in test-artifacts/)."""
import sys
from pathlib import Path

import pytest
from browser_util import nav, pick_option, shot, use_sample, wait_idle, wait_saved

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_browser import choose, sidebar  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WIDTHS = (1280, 1400)
REASON = "This run was trained on iris.csv (target species), not on tips.csv"


def headers(page, box: str) -> list[str]:
    """A table's column headers in order (the grid's accessible header cells), once the grid
    has drawn them: it mounts them after the page's script run has ended."""
    page.wait_for_function("(sel) => document.querySelectorAll(sel + ' [role=columnheader]')"
                           ".length > 0", arg=f".st-key-{box}", timeout=60_000)
    return page.evaluate(
        "(sel) => Array.from(document.querySelectorAll(sel + ' [role=columnheader]'))"
        ".map(e => e.innerText.trim())", f".st-key-{box}")


def fits_across(page, box: str, width: int) -> None:
    """The table inside ``.st-key-<box>`` lies within the window's width and its grid has
    nothing to scroll sideways."""
    el = page.locator(f".st-key-{box}")
    el.scroll_into_view_if_needed()
    b = el.bounding_box()
    assert b and b["x"] >= 0 and b["x"] + b["width"] <= width, (box, width, b)
    scroll = page.evaluate(
        "(sel) => { const s = document.querySelector(sel + ' .dvn-scroller');"
        " return s ? [s.scrollWidth, s.clientWidth] : null; }", f".st-key-{box}")
    return scroll


def test_a_second_file_after_a_trained_run(page, app_url):
    use_sample(page, app_url, "Iris flowers", "iris")
    nav(page, "Build")  # a stack of one's own: the Small MLP and a Dropout
    choose(page, "Add a layer", "Dropout — Regularization")
    page.get_by_role("button", name="Add", exact=False).filter(has_text="➕").first.click()
    wait_idle(page)
    nav(page, "Train")
    epochs = page.get_by_label("epochs", exact=True)
    epochs.fill("3")
    epochs.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Start training").click()
    wait_saved(page, 180)
    wait_idle(page)

    # --- the run's own data: no warning; the headline numbers and the prediction on screen
    nav(page, "Evaluate")
    page.wait_for_function("() => document.querySelector('[data-testid=\"stSidebarNav\"]')"
                           ".innerText.includes('Evaluate ✓')")
    # no stale-run banner (its words; "not on" alone is also in the glossary's "not only")
    assert page.get_by_text("the data now loaded", exact=False).count() == 0
    cols = headers(page, "eval_metrics")
    assert cols[:4] == ["metric", "network", "95% CI", "baseline"] and "boosting" in cols
    for w in WIDTHS:
        page.set_viewport_size({"width": w, "height": 1000})
        wait_idle(page)
        scroll = fits_across(page, "eval_metrics", w)
        assert scroll is not None and scroll[0] <= scroll[1] + 1, (w, scroll)  # no sideways
        shot(page, f"stale_evaluate_{w}")
    nav(page, "Predict & export")
    page.get_by_role("button", name="…or predict the current dataset").click()
    page.locator(".st-key-pred_table").wait_for()
    wait_idle(page)
    cols = headers(page, "pred_table")
    assert [c for c in cols if c][:4] == ["prediction", "proba_setosa", "proba_versicolor",
                                           "proba_virginica"], cols
    for w in WIDTHS:
        page.set_viewport_size({"width": w, "height": 1000})
        wait_idle(page)
        fits_across(page, "pred_table", w)  # the prediction is its first column
        shot(page, f"stale_predict_{w}")
    page.set_viewport_size({"width": 1400, "height": 1000})
    # each entry is "<emoji> <title>"
    assert {"Train ✓", "Evaluate ✓", "Predict & export ✓"} <= {
        line.split(" ", 1)[-1] for line in sidebar(page).splitlines()}

    # --- a second file and its target
    nav(page, "Data")
    pick_option(page, "pick a sample dataset", "Restaurant tips")
    page.get_by_role("button", name="Use this sample").click()
    page.get_by_role("heading", name="tips.csv").wait_for()
    wait_idle(page)
    nav(page, "Target")
    choose(page, "What should the model predict?", "total_bill")
    page.wait_for_function(
        "() => { const t = document.querySelector('[data-testid=\"stSidebarNav\"]').innerText;"
        " return !t.includes('Train ✓') && !t.includes('Evaluate ✓')"
        " && !t.includes('Predict & export ✓'); }", timeout=60_000)
    marks = sidebar(page)
    assert "Data ✓" in marks and "Target ✓" in marks

    nav(page, "Train")  # nothing trained on tips yet
    assert page.get_by_text("The run is saved").count() == 0
    for name in ("Evaluate", "Predict & export"):
        nav(page, name)
        page.get_by_text(REASON).first.wait_for()
        page.get_by_role("button", name="Train on tips.csv (target total_bill)").wait_for()
        page.get_by_role("button", name="Keep looking at iris.csv").wait_for()
        wait_idle(page)
        shot(page, f"stale_second_{name.split()[0].lower()}")
    current = page.get_by_role("button", name="…or predict the current dataset")
    assert current.is_disabled()
    page.get_by_text("lacks 4 of the 4 column(s) this model reads").wait_for()
    assert page.get_by_text("The data lacks").count() == 0  # the old model is not tried

    nav(page, "Build")
    page.get_by_text("kept from", exact=False).first.wait_for()
    box = page.get_by_test_id("stSelectbox").filter(has_text="Start from a template").first
    shown = box.inner_html()  # the placeholder of an empty box: what the stack is
    assert "Custom, 3 layers (kept from the previous data, iris.csv)" in shown
    assert "Small MLP" not in shown
    page.get_by_role("button", name="Use the template for this data (Small MLP)").wait_for()
    page.get_by_role("button", name="History", exact=False).first.click()
    page.get_by_text("kept the stack from iris.csv (3 layers)").first.wait_for()
    page.keyboard.press("Escape")
    shot(page, "stale_second_build")

    # train on tips, and the template made for tips
    nav(page, "Predict & export")
    page.get_by_role("button", name="Train on tips.csv (target total_bill)").click()
    # Build was seen and the kept stack fits tips: straight to Train
    page.wait_for_function("() => (document.querySelector('h1') || {}).innerText"
                           "?.includes('Train')")
    wait_idle(page)
    assert page.get_by_role("button", name="Start training").count()
    nav(page, "Build")
    page.get_by_role("button", name="Use the template for this data (Small MLP)").click()
    wait_idle(page)
    box = page.get_by_test_id("stSelectbox").filter(has_text="Start from a template").first
    assert "Small MLP" in box.inner_html() and "Custom" not in box.inner_html()
    assert page.get_by_role("button", name="Use the template for this data").count() == 0
    shot(page, "stale_second_build_template")

    # keep looking at iris: the warning shrinks to a line, on both pages
    nav(page, "Evaluate")
    page.get_by_role("button", name="Keep looking at iris.csv").click()
    wait_idle(page)
    assert page.get_by_role("button", name="Keep looking at iris.csv").count() == 0
    assert page.get_by_text(REASON).count() == 1  # the one-line note
    nav(page, "Predict & export")
    page.get_by_text(REASON).first.wait_for()
    assert page.get_by_role("button", name="Train on tips.csv (target total_bill)").count() == 0
