"""In Chromium: the store-sales time series (Target settings, chronological split, forecast
against the naive forecast) and the news text sample (example texts, misclassified texts)."""
import pytest
from browser_util import nav, open_tab, shot, use_sample, wait_idle, wait_saved

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def train(page, epochs):
    nav(page, "Train")
    ep = page.get_by_label("epochs", exact=True)
    ep.fill(str(epochs))
    ep.press("Tab")
    page.get_by_role("button", name="Start training").click()
    wait_saved(page, 300)
    wait_idle(page, 120)


def test_time_series_flow(page, app_url):
    use_sample(page, app_url, "Store sales (time series)", "store_sales")
    nav(page, "Target")
    page.get_by_text("The split is").first.wait_for()
    page.get_by_text("sales over time").first.wait_for()
    shot(page, "series_2_target")
    nav(page, "Build")
    page.get_by_text("The network is valid").wait_for()
    shot(page, "series_3_build")
    train(page, 8)
    nav(page, "Evaluate")
    open_tab(page, "Forecast")
    page.get_by_text("Forecast of sales on the test period").first.wait_for()
    assert page.get_by_text("naive forecast", exact=False).count() >= 1
    shot(page, "series_5_evaluate")


def test_text_flow(page, app_url):
    use_sample(page, app_url, "News snippets (text)", "news")
    nav(page, "Target")
    page.get_by_text("Example texts per class").wait_for()
    shot(page, "text_2_target")
    nav(page, "Build")
    page.get_by_text("The network is valid").wait_for()
    train(page, 3)
    nav(page, "Evaluate")
    page.get_by_text("Misclassified test texts").first.wait_for()
    shot(page, "text_5_evaluate")
