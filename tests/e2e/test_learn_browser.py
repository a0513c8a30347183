"""A learner in Chromium takes lessons 1 and 2 to "done" by following only what the pages say:
Start on the Learn page, an early Check answers "Not yet" in words, the hints say what to do
(press Play; add a hidden layer), the page's own Test loss says when the goal is met, and
Check answers "Done!". The progress is still there at the same address in a new tab."""
import re

import pytest
from browser_util import shot, start_app, stop_app, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def heading(page, text: str) -> None:
    """Wait for a page's own signal: its title drawn and its script run ended."""
    page.wait_for_function(
        "(want) => { const h = document.querySelector('h1');"
        " return !!h && h.innerText.includes(want)"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]'); }", arg=text)
    wait_idle(page)


def start(page, lesson: str) -> None:
    row = page.get_by_test_id("stVerticalBlock").filter(has_text=lesson).filter(
        has=page.get_by_role("button", name="Start")).last
    row.get_by_role("button", name=re.compile("^Start")).click()
    heading(page, "Playground")


def goal(box) -> float:
    """The number in the lesson's goal ('… under 0.05.'), as the learner reads it."""
    text = box.get_by_text(re.compile(r"under \d")).first.inner_text()
    return float(re.search(r"under (\d+\.\d+)", text).group(1))


def check(page, box) -> str:
    box.get_by_role("button", name="Check").click()
    answer = box.get_by_test_id("stAlert").filter(has_text=re.compile("(Not yet|Done)"))
    answer.first.wait_for()
    wait_idle(page)
    return re.sub(r"^\W+", "", answer.first.inner_text())  # without the icon


def hint(page, box) -> str:
    n = box.get_by_text(re.compile(r"Hint \d of")).count()
    box.get_by_role("button", name=re.compile("hint$")).click()
    shown = box.get_by_test_id("stMarkdownContainer").filter(has_text=f"Hint {n + 1} of")
    shown.first.wait_for()
    wait_idle(page)
    return shown.first.inner_text()


def loss_shown(page) -> float:
    txt = page.get_by_test_id("stMetric").filter(has_text="Test loss").first.inner_text()
    return float(txt.split()[-1])


def play_until_under(page, target: float) -> None:
    """Press Play and read the page's Test loss until it is under the goal, then Pause."""
    page.get_by_role("button", name="Play").click()
    page.get_by_role("button", name="Pause").wait_for()
    for _ in range(1200):  # a hang guard: each pass waits for the page to refresh
        if loss_shown(page) < target:
            break
        page.wait_for_timeout(500)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    wait_idle(page)
    assert loss_shown(page) < target


def test_two_lessons_to_done(page, browser, tmp_path):
    proc, url = start_app(tmp_path / "ws")
    try:
        page.goto(url + "/learn")
        heading(page, "Learn")
        assert page.get_by_text("Lesson 1 — One neuron draws a line").count()
        assert page.get_by_text("0 of 9 done").count()
        shot(page, "learn_list")

        # Lesson 1: the Playground opens set up; Check before training says what to do
        start(page, "Lesson 1 — One neuron draws a line")
        box = page.get_by_test_id("stSidebar")
        assert box.get_by_text("Lesson 1 — One neuron draws a line").count()
        assert box.get_by_text("Goal").count()
        early = check(page, box)
        assert early.startswith("Not yet:") and "Play" in early
        shot(page, "learn_lesson1_not_yet")
        assert "Play" in hint(page, box)
        play_until_under(page, goal(box))
        done = check(page, box)
        assert done.startswith("Done!") and "straight line" in done
        shot(page, "learn_lesson1_done")

        # Lesson 2: one neuron cannot draw a circle; the hint says to add a hidden layer
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Learn").click()
        heading(page, "Learn")
        assert page.get_by_text("1 of 9 done").count()
        start(page, "Lesson 2 — A hidden layer bends the line")
        box = page.get_by_test_id("stSidebar")
        early = check(page, box)
        assert early.startswith("Not yet:") and "hidden layer" in early
        hint(page, box)
        second = hint(page, box)
        assert "Hidden layers to 1" in second
        layers = page.get_by_label("Hidden layers", exact=True)
        layers.fill("1")
        layers.press("Enter")
        page.get_by_label("Layer 1", exact=True).wait_for()
        wait_idle(page)
        play_until_under(page, goal(box))
        done = check(page, box)
        assert done.startswith("Done!") and "hidden neuron" in done
        shot(page, "learn_lesson2_done")

        # the same address in a new tab finds the progress (kept in the workspace)
        learner = re.search(r"learner=([A-Za-z0-9_-]+)", page.url).group(1)
        other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        other.set_default_timeout(120_000)
        other.goto(f"{url}/learn?learner={learner}")
        heading(other, "Learn")
        other.get_by_text("2 of 9 done").wait_for()
        assert other.get_by_text("Lesson 2 — A hidden layer bends the line ✓").count()
        other.context.close()
    finally:
        stop_app(proc)
