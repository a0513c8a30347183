"""In a real browser: a regression table's screening chart on Target, a training, the SHAP global
view and the layer inspector on Evaluate, a row's waterfall on Predict, and a short search on
Tune that ends with the best network beside the user's own."""
import pytest
from browser_util import open_tab, shot, wait_idle, wait_saved
from test_browser import choose, nav

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _open_tips(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    choose(page, "pick a sample dataset", "Restaurant tips")
    page.get_by_role("button", name="Use this sample").click()
    page.get_by_role("heading", name="tips.csv").wait_for(timeout=60_000)
    wait_idle(page)
    nav(page, "Target")
    choose(page, "What should the model predict?", "tip")
    page.get_by_text("Which columns predict the target on their own").wait_for(timeout=60_000)
    wait_idle(page)


@pytest.mark.timeout(900)
def test_screening_explanations_and_the_inspector(page, app_url):
    page.set_default_timeout(120_000)
    _open_tips(page, app_url)
    assert page.get_by_text("alone").first.is_visible()  # the how-to-read sentence
    shot(page, "explain_1_target_screening")
    nav(page, "Train")
    ep = page.get_by_label("epochs", exact=True)
    ep.fill("5")
    ep.press("Tab")
    page.get_by_role("button", name="Start training").click()
    wait_saved(page, 300)
    wait_idle(page, 120)
    nav(page, "Evaluate")
    open_tab(page, "Importance")
    page.get_by_role("button", name="Compute contributions").click()
    page.get_by_text("the longer the bar, the more that column moves").wait_for(timeout=300_000)
    wait_idle(page, 120)
    shot(page, "explain_2_global")
    page.get_by_text("Show the layer inspector").click()
    page.get_by_text("What each layer outputs for row").wait_for(timeout=300_000)
    wait_idle(page, 120)
    shot(page, "explain_3_inspector")
    nav(page, "Predict & export")
    page.get_by_role("button", name="…or predict the current dataset").click()
    wait_idle(page, 120)
    page.get_by_role("button", name="Explain this row").click()
    page.get_by_text("Starts at the average prediction").wait_for(timeout=300_000)
    wait_idle(page, 120)
    shot(page, "explain_4_waterfall")


@pytest.mark.timeout(900)
def test_a_short_search_on_the_tune_page(page, app_url):
    page.set_default_timeout(120_000)
    _open_tips(page, app_url)
    nav(page, "Tune")
    page.get_by_text("What to search").wait_for()
    trials = page.get_by_label("Trials", exact=True)
    trials.fill("3")
    trials.press("Tab")
    minutes = page.get_by_label("Minutes at most", exact=True)
    minutes.fill("3")
    minutes.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Find a better network").click()
    page.get_by_text("The best network beside yours, on the test rows").wait_for(timeout=600_000)
    wait_idle(page, 120)
    assert page.get_by_text("Chosen by a search of").first.is_visible()
    shot(page, "tune_done")
    page.get_by_role("button", name="Save as a run").click()
    page.get_by_text("Saved: evaluate the best network").wait_for()
    nav(page, "Runs")
    page.get_by_role("heading", name="Searches").wait_for()
    shot(page, "tune_runs")
