"""A session survives a reload in Chromium (issue 29, item 1): the data, its target, an edited
layer and the sidebar's ticks come back after a reload on Build; a training still runs after a
reload on Build (reached from Train) and on Train; the same address in a second browser context finds the same work; a context
without the key sees the welcome and none of it."""
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from browser_util import nav, open_tab, pick_option, shot, use_sample, wait_idle, wait_saved

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_browser import choose, sidebar  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def key_of(url: str) -> str:
    return parse_qs(urlparse(url).query).get("s", [""])[0]


def reload_and_wait(page, title: str) -> None:
    """Reload the page and wait for its own signals: its title drawn, the script run over."""
    page.reload()
    page.wait_for_function(
        "(want) => { const h = document.querySelector('h1');"
        " return !!h && h.innerText.includes(want)"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]'); }", arg=title)
    wait_idle(page)


def units(page) -> str:
    return page.get_by_label("units", exact=True).first.input_value()


def test_reload_and_a_second_tab_find_the_work(page, app_url, browser):
    use_sample(page, app_url, "Restaurant tips", "tips")
    page.wait_for_url(re.compile(r"[?&]s="))  # the key is in the address once there is data
    key = key_of(page.url)
    assert len(key) >= 32
    nav(page, "Target")
    choose(page, "What should the model predict?", "size")
    assert key_of(page.url) == key  # a page switch keeps the key
    nav(page, "Build")
    assert units(page) == "32"
    field = page.get_by_label("units", exact=True).first
    field.fill("48")
    field.press("Tab")
    wait_idle(page)
    page.get_by_text("The network is valid").wait_for()
    assert "Build ✓" in sidebar(page)

    # reload on Build: everything as it was
    reload_and_wait(page, "Build")
    assert units(page) == "48"
    marks = sidebar(page)
    assert "Data ✓" in marks and "Target ✓" in marks and "Build ✓" in marks
    page.get_by_text("The network is valid").wait_for()
    shot(page, "reload_1_build")
    nav(page, "Data")
    page.get_by_role("heading", name="tips.csv").wait_for()
    nav(page, "Target")
    inputs = page.get_by_test_id("stMarkdownContainer").filter(
        has_text="input columns:").first.inner_text()
    assert "tip" in inputs and "size" not in inputs  # size is the target, tip an input

    # reload on Train while a run is training: it is still there, and still training
    nav(page, "Train")
    for label, value in (("epochs", "5000"), ("early stopping patience", "0")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Tab")
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("button", name="⏹️ Stop").wait_for()
    # an epoch done: the training itself runs (on a busy machine the job can still be loading
    # TensorFlow, epoch 0, through the reloads below, and a Stop then ends it before training)
    page.get_by_text(re.compile(r"epoch [1-9]\d* of 5000")).first.wait_for()
    # away to Build (the page switch drops ?job=; it is put back) and reloaded there
    nav(page, "Build")
    page.wait_for_url(re.compile(r"[?&]job="))
    reload_and_wait(page, "Build")
    assert units(page) == "48"
    nav(page, "Train")
    page.get_by_text(re.compile(r"Running — epoch \d+ of 5000")).first.wait_for()
    reload_and_wait(page, "Train")
    assert key_of(page.url) == key and "job=" in page.url
    page.get_by_text(re.compile(r"Running — epoch \d+ of 5000")).first.wait_for()
    page.get_by_role("button", name="⏹️ Stop").wait_for()
    assert units_in_sidebar_kept(page)
    shot(page, "reload_2_training")
    page.get_by_role("button", name="⏹️ Stop").click()
    wait_saved(page, 180)
    wait_idle(page)
    assert "Train ✓" in sidebar(page)

    # the same address in another browser context (another tab, another window): the same work
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        tab = other.new_page()
        tab.set_default_timeout(120_000)
        tab.goto(f"{app_url}/?s={key}")
        tab.get_by_role("heading", name="tips.csv").wait_for()
        wait_idle(tab)
        marks = sidebar(tab)
        assert all(f"{step} ✓" in marks for step in ("Data", "Target", "Build", "Train"))
        nav(tab, "Build")
        assert units(tab) == "48"
        shot(tab, "reload_3_second_tab")
    finally:
        other.close()

    # a context without the key: the welcome, none of the work
    stranger = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        tab = stranger.new_page()
        tab.set_default_timeout(120_000)
        tab.goto(app_url)
        tab.get_by_text("pick a sample dataset").first.wait_for()
        wait_idle(tab)
        assert tab.get_by_role("heading", name="tips.csv").count() == 0
        assert "✓" not in sidebar(tab)
        assert not key_of(tab.url)
        shot(tab, "reload_4_stranger")
    finally:
        stranger.close()
    assert page.get_by_text("Something unexpected went wrong").count() == 0


def units_in_sidebar_kept(page) -> bool:
    """After the reload on Train the sidebar still ticks the steps done before it."""
    marks = sidebar(page)
    return all(f"{step} ✓" in marks for step in ("Data", "Target", "Build"))


def test_an_uploaded_file_comes_back_after_a_reload(page, app_url, tmp_path):
    """An upload is kept as the file itself and read again the same way after a reload."""
    from test_browser import upload
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(29)
    df = pd.DataFrame({"x": rng.normal(size=321).round(3), "grp": rng.choice(["a", "b"], 321),
                       "y": rng.integers(0, 2, 321)})
    path = tmp_path / "persist_upload.csv"
    df.to_csv(path, sep=";", index=False)  # a delimiter the reader has to detect
    page.goto(app_url)
    wait_idle(page)
    upload(page, path)
    page.wait_for_url(re.compile(r"[?&]s="))
    reload_and_wait(page, "Data")
    page.get_by_role("heading", name="persist_upload.csv").wait_for()
    wait_idle(page)
    from playwright.sync_api import expect  # retries until the page shows it (or times out)

    def metric(label):
        return page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    expect(metric("Rows")).to_contain_text("321")
    expect(metric("Columns")).to_contain_text("3")
    assert page.get_by_text("Your work was restored (persist_upload.csv)").count() == 1
    shot(page, "reload_5_upload")


def card_of(page, column: str):
    """The Column profiles card of ``column`` (its name in bold, its kind in code)."""
    return page.get_by_test_id("stMarkdownContainer").filter(
        has=page.locator("strong", has_text=re.compile(rf"^{column}$"))).filter(
        has=page.locator("code")).first


def eventually(page, check, what: str, timeout_s: float = 60) -> None:
    """Wait until ``check()`` holds: a reload's restore can rerun the script once more (the
    sidebar's marks change), and a settled page between two runs looks idle for a moment.
    Polls the page's state; a hang guard, not a speed check."""
    import time
    end = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"the page never showed {what}")
        page.wait_for_timeout(200)


def chosen(page, label: str) -> str:
    """The option a select box shows (its combobox input's value)."""
    return page.get_by_role("combobox", name=label, exact=True).first.input_value()


def target_box(page) -> str:
    return chosen(page, "What should the model predict?")


def train_quickly(page, epochs: str = "3") -> None:
    """Start a short training on the Train page and wait until its run is saved."""
    nav(page, "Train")
    box = page.get_by_label("epochs", exact=True)
    box.fill(epochs)
    box.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Start training").click()
    wait_saved(page, 240)
    wait_idle(page)


def test_data_target_and_evaluate_come_back_as_they_were(page, app_url, tmp_path):
    """Reloads on Data (an uploaded file with a column's kind changed), on Target (a target
    other than the guessed one) and on Evaluate (an older run of other data chosen in the
    picker, its warning answered with 'Keep looking at …'): each page is as it was."""
    import numpy as np
    import pandas as pd
    from playwright.sync_api import expect
    from test_browser import upload
    rng = np.random.default_rng(2929)
    n = 300
    x1 = rng.normal(size=n).round(3)
    df = pd.DataFrame({"outcome": np.where(x1 + rng.normal(0, 0.3, n) > 0, "yes", "no"),
                       "x1": x1, "lane": rng.choice([1, 2, 3, 4, 7], n),
                       "score": rng.normal(50, 10, n).round(1)})
    path = tmp_path / "reload_lanes.csv"
    df.to_csv(path, index=False)

    # --- Data: the upload, and 'lane' (codes 1, 2, 3, 4, 7) made a category
    page.goto(app_url)
    wait_idle(page)
    upload(page, path)
    page.wait_for_url(re.compile(r"[?&]s="))
    key = key_of(page.url)
    open_tab(page, "Column profiles")
    expect(card_of(page, "lane")).to_contain_text("numeric")
    open_tab(page, "Roles & kinds")
    page.get_by_role("button", name="Treat as a category").click()
    wait_idle(page)
    expect(page.get_by_role("button", name="Treat as a category")).to_have_count(0)
    reload_and_wait(page, "Data")
    page.get_by_role("heading", name="reload_lanes.csv").wait_for()
    assert key_of(page.url) == key
    page.get_by_text("Your work was restored (reload_lanes.csv)").wait_for()
    open_tab(page, "Column profiles")
    expect(card_of(page, "lane")).to_contain_text("categorical")
    open_tab(page, "Roles & kinds")
    assert page.get_by_role("button", name="Treat as a category").count() == 0
    shot(page, "reload_6_data_kind")

    # --- Target: 'outcome', not the guessed last column
    nav(page, "Target")
    assert target_box(page) != "outcome"
    choose(page, "What should the model predict?", "outcome")
    reload_and_wait(page, "Target")
    eventually(page, lambda: target_box(page) == "outcome", "the target chosen before")
    inputs = page.get_by_test_id("stMarkdownContainer").filter(
        has_text="input columns:").first.inner_text()
    assert "x1" in inputs and "outcome" not in inputs
    assert "Target ✓" in sidebar(page)
    shot(page, "reload_7_target")

    # --- a run on this file, then a second file (tips) and a run on it
    train_quickly(page)
    nav(page, "Data")
    pick_option(page, "pick a sample dataset", "Restaurant tips")
    page.get_by_role("button", name="Use this sample").click()
    page.get_by_role("heading", name="tips.csv").wait_for()
    wait_idle(page)
    nav(page, "Build")
    suited = page.get_by_role("button", name="Use the template for this data")
    if suited.count():
        suited.click()
        wait_idle(page)
    page.get_by_text("The network is valid").wait_for()  # Build's own signal: its check ran
    train_quickly(page)

    # --- Evaluate: the older run (of the other file) chosen, its warning answered
    nav(page, "Evaluate")
    run_box = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_role("combobox", name="Run", exact=True)).first
    assert "tips.csv" in chosen(page, "Run")  # the newest run, of the data now loaded
    for _ in range(5):  # a rerun can close the list before the option shows: open it again
        wait_idle(page)
        run_box.click()
        older = page.get_by_role("option").filter(has_text="reload_lanes.csv").first
        try:
            older.wait_for(timeout=20_000)
            break
        except Exception:
            page.keyboard.press("Escape")
    older.click()
    reason = "This run was trained on reload_lanes.csv (target outcome), not on tips.csv"
    page.get_by_text(reason).first.wait_for()
    wait_idle(page)
    keep = page.get_by_role("button", name="Keep looking at reload_lanes.csv")
    keep.click()
    expect(keep).to_have_count(0)
    wait_idle(page)
    eventually(page, lambda: all(f"{step} ✓" in sidebar(page)
                                 for step in ("Data", "Target", "Build")), "the three ticks")
    marks = sidebar(page)
    reload_and_wait(page, "Evaluate")
    eventually(page, lambda: sidebar(page) == marks, f"the same ticks as before: {marks}")
    eventually(page, lambda: "reload_lanes.csv" in chosen(page, "Run"),
               "the run chosen, not the newest")
    page.get_by_text(reason).first.wait_for()  # the one-line note
    assert page.get_by_role("button", name="Keep looking at reload_lanes.csv").count() == 0
    assert page.get_by_test_id("stAlertContentWarning").filter(has_text=reason).count() == 0
    assert page.get_by_role("heading", name="tips.csv").count() == 0
    assert "Evaluate ✓" not in sidebar(page)  # a run of other data earns no mark
    assert key_of(page.url) == key
    shot(page, "reload_8_evaluate")
    assert page.get_by_text("Something unexpected went wrong").count() == 0


def _epoch_is(page, n: int) -> None:
    """The page's own signal: the Playground's Epoch metric reads ``n``, the script run over."""
    page.wait_for_function(
        "(n) => { const m = [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
        ".find(e => e.innerText.includes('Epoch'));"
        " return !!m && m.innerText.replace(/\\D/g, '') === String(n)"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]'); }", arg=n)


def _metric(page, label: str) -> str:
    return page.get_by_test_id("stMetric").filter(has_text=label).first.inner_text()


def test_the_playground_upload_and_its_network_come_back(page, app_url, tmp_path):
    """A 3-column CSV uploaded on the Playground and a network trained on it for three epochs:
    after a reload the file, the data choice, the settings in the address and the network
    (same epoch, same losses) are there."""
    import numpy as np
    rng = np.random.default_rng(2930)
    a, b = rng.uniform(0, 10, 150), rng.uniform(-5, 5, 150)
    path = tmp_path / "reload_pg_points.csv"
    path.write_text("width,shift,side\n" + "\n".join(
        f"{x:.2f},{y:.2f},{'left' if x + y < 5 else 'right'}" for x, y in zip(a, b)) + "\n")
    page.goto(app_url + "/playground")
    page.get_by_text("Upload a 3-column CSV").wait_for()
    wait_idle(page)
    page.get_by_text("Upload a 3-column CSV").click()
    with page.expect_file_chooser() as fc:
        page.locator("section[data-testid=stFileUploaderDropzone] button:visible").first.click()
    fc.value.set_files(str(path))
    _epoch_is(page, 0)
    for n in (1, 2, 3):
        page.get_by_role("button", name="Step").click()
        _epoch_is(page, n)
    wait_idle(page)
    page.wait_for_url(re.compile(r"[?&]s="))
    key = key_of(page.url)
    losses = (_metric(page, "Training loss"), _metric(page, "Test loss"))
    reload_and_wait(page, "Playground")
    page.get_by_text("Using reload_pg_points.csv, uploaded earlier").wait_for()
    assert page.get_by_role("radio", name="Upload a 3-column CSV").is_checked()
    assert key_of(page.url) == key and "dataset=user" in page.url
    _epoch_is(page, 3)  # the network trained before the reload, not a new one
    assert (_metric(page, "Training loss"), _metric(page, "Test loss")) == losses
    surface = page.locator(".st-key-pg_surface .js-plotly-plot").first
    surface.wait_for()
    titles = surface.evaluate("el => [el._fullLayout.xaxis.title.text, "
                              "el._fullLayout.yaxis.title.text]")
    assert titles == ["width", "shift"]
    shot(page, "reload_9_playground")
    page.get_by_role("button", name="Step").click()  # and it trains on from there
    _epoch_is(page, 4)
    assert page.get_by_test_id("stException").count() == 0
