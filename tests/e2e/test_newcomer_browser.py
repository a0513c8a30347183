"""A newcomer's walk in Chromium: the Playground survives other pages, a sample trains in at
most five clicks from the landing page, and the icons are drawn (an emoji font is installed)."""
import shutil
import subprocess

import pytest
from browser_util import nav, shot, wait_idle, wait_saved

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def no_error(page) -> None:
    assert page.get_by_text("Something unexpected went wrong").count() == 0
    assert page.get_by_test_id("stException").count() == 0


def test_playground_survives_a_tour_of_other_pages(page, app_url):
    page.goto(app_url + "/playground")
    wait_idle(page, 90)
    layers = page.get_by_role("spinbutton", name="Hidden layers")
    layers.fill("3")
    layers.press("Tab")
    # the page's own signal that the server took the new value: a third layer's input is drawn
    # (on a busy machine the rerun can start later than wait_idle's first look)
    page.get_by_role("spinbutton", name="Layer 3").wait_for()
    wait_idle(page)
    for name in ("Data", "Playground", "Build", "Playground"):
        nav(page, name)
        no_error(page)
    # every control shows the value the network uses (a restored control once showed its
    # minimum now and then: 0 hidden layers, 1 neuron, while the network had 3 and 4)
    assert page.get_by_role("spinbutton", name="Hidden layers").input_value() == "3"
    assert page.get_by_role("spinbutton", name="Layer 1").input_value() == "4"
    # the network diagram (drawn by plotly after the script run) names the third layer
    page.get_by_text("Layer 3").first.wait_for(state="attached")
    shot(page, "playground_after_tour")


def test_a_sample_trains_in_five_clicks_from_the_landing_page(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    clicks = 0

    def click(locator):
        nonlocal clicks
        locator.first.click()
        clicks += 1
        wait_idle(page)

    click(page.get_by_role("button", name="Iris flowers"))
    click(page.get_by_role("link", name="Next: Target"))
    click(page.get_by_role("link", name="Next: build the network"))
    click(page.get_by_role("link", name="Next: Train"))
    click(page.get_by_role("button", name="Start training"))
    wait_saved(page, 180)
    assert clicks <= 5
    no_error(page)
    shot(page, "five_clicks_trained")


def test_screenshots_have_an_emoji_font():
    fc = shutil.which("fc-list")
    assert fc, "fontconfig is missing"
    fonts = subprocess.run([fc], capture_output=True, text=True).stdout.lower()
    assert "emoji" in fonts, "install fonts-noto-color-emoji (see .ci/run)"
