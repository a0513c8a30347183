"""The Playground in Chromium, on a fresh server whose first request is the page's own address
(a shared link): the app's navigation is there, ▶️ trains live and the view refreshes."""
import re

import pytest
from browser_util import shot, start_app, stop_app, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_shared_link_opens_and_trains_live(page, tmp_path):
    proc, url = start_app(tmp_path / "ws")
    try:
        page.goto(url + "/playground?dataset=xor&features=x1_x2&layers=&learning_rate=0.1")
        wait_idle(page, 90)
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_text("Data").count() and nav.get_by_text("Playground").count()
        page.get_by_role("button", name="Play").click()

        def epoch() -> int:
            txt = page.get_by_test_id("stMetric").filter(has_text="Epoch").first.inner_text()
            return int(re.sub(r"\D", "", txt.split("Epoch", 1)[1]))

        for _ in range(120):  # the first epoch waits for TensorFlow to trace the step
            if epoch() > 0:
                break
            page.wait_for_timeout(500)
        epochs = []
        for _ in range(3):  # 3 s apart: a busy CI machine once held one refresh back ~1.5 s
            epochs.append(epoch())
            page.wait_for_timeout(3000)
        assert epochs[0] < epochs[1] < epochs[2], epochs  # the page refreshes while it trains
        shot(page, "playground_xor_live")
        page.get_by_role("button", name="Pause").click()
        wait_idle(page)
        loss = page.get_by_test_id("stMetric").filter(has_text="Test loss").first.inner_text()
        assert float(loss.split()[-1]) < 0.2
        assert "dataset=xor" in page.url and "features=x1_x2" in page.url
        page.goto(url + "/train")  # any page address works as a first request too
        wait_idle(page, 60)
        assert page.get_by_test_id("stSidebarNav").get_by_text("Evaluate").count()
    finally:
        stop_app(proc)


def _epoch(page) -> int:
    txt = page.get_by_test_id("stMetric").filter(has_text="Epoch").first.inner_text()
    return int(re.sub(r"\D", "", txt.split("Epoch", 1)[1]))


def _wait_epoch(page, n: int) -> None:
    """The page's own signal: the Epoch metric reads ``n`` and the script run is over."""
    page.wait_for_function(
        "(n) => { const m = [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
        ".find(e => e.innerText.includes('Epoch'));"
        " return !!m && m.innerText.replace(/\\D/g, '') === String(n)"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]'); }", arg=n)


def _neuron_point(page, layer: int, index: int) -> tuple[float, float]:
    """Where neuron ``(layer, index)`` is drawn on screen, from the network chart's own data
    (its invisible 'neurons' trace holds each node's place and [layer, index]); waits until
    plotly has drawn the chart (while training, it is redrawn twice a second)."""
    found = page.wait_for_function(
        "(want) => { const el = document.querySelector('.st-key-pg_network .js-plotly-plot');"
        " if (!el || !el.data || !el._fullLayout || !el._fullLayout.xaxis) return null;"
        " const t = el.data.find(d => d.name === 'neurons'); if (!t) return null;"
        " const k = t.customdata.findIndex(c => c[0] === want[0] && c[1] === want[1]);"
        " const L = el._fullLayout, r = el.getBoundingClientRect();"
        " return [r.left + L.xaxis._offset + L.xaxis.d2p(t.x[k]),"
        "         r.top + L.yaxis._offset + L.yaxis.d2p(t.y[k])]; }", arg=[layer, index])
    return tuple(found.json_value())


def test_an_upload_survives_runs_and_a_neuron_explains_itself(page, tmp_path):
    """Issue 29 item 3 and issue 32 item 3 in Chromium: upload a 3-column CSV, train three
    epochs, go to Runs and back: the file, the data choice, the network (same epoch) and the
    address are still there, the surface is drawn in the columns' names; pointing at a neuron
    says what it computes, clicking it opens its explanation."""
    from browser_util import nav
    import numpy as np
    rng = np.random.default_rng(3)
    h, w = rng.uniform(150, 190, 120), rng.uniform(45, 100, 120)
    path = tmp_path / "pgnd_people.csv"
    path.write_text("height,weight,size\n" + "\n".join(
        f"{a:.1f},{b:.1f},{'tall' if a > 170 else 'short'}" for a, b in zip(h, w)) + "\n")
    proc, url = start_app(tmp_path / "ws")
    try:
        page.goto(url + "/playground")
        wait_idle(page, 90)
        page.get_by_text("Upload a 3-column CSV").click()
        with page.expect_file_chooser() as fc:
            page.locator("section[data-testid=stFileUploaderDropzone] button:visible").first.click()
        fc.value.set_files(str(path))
        _wait_epoch(page, 0)
        for n in (1, 2, 3):
            page.get_by_role("button", name="Step").click()
            _wait_epoch(page, n)
        assert "dataset=user" in page.url
        nav(page, "Runs")
        assert "dataset=user" not in page.url  # the page change emptied the address
        nav(page, "Playground")
        _wait_epoch(page, 3)  # the same network, not a new one at epoch 0
        page.get_by_text("Using pgnd_people.csv, uploaded earlier").wait_for()
        assert page.get_by_role("radio", name="Upload a 3-column CSV").is_checked()
        page.wait_for_url(re.compile(r"dataset=user"))
        surface = page.locator(".st-key-pg_surface .js-plotly-plot").first
        titles = surface.evaluate("el => [el._fullLayout.xaxis.title.text, "
                                  "el._fullLayout.yaxis.title.text]")
        assert titles == ["height", "weight"]
        # pointing at a neuron: its hover says what it computes
        x, y = _neuron_point(page, 1, 1)
        page.mouse.move(x, y)
        hover = page.locator(".st-key-pg_network .hoverlayer .hovertext").first
        hover.wait_for()
        said = hover.text_content()  # an SVG group: its text, not innerText
        assert "Layer 1 · neuron 2" in said and re.search(r"(height|weight) is (large|small)", said)
        shot(page, "pgnd_playground_hover")
        # clicking it opens the explanation: sentence, picture, weights
        page.mouse.click(x, y)
        box = page.locator(".st-key-pg_neuron")
        box.wait_for()
        wait_idle(page)
        text = box.inner_text()
        assert "Layer 1 · neuron 2 —" in text
        assert re.search(r"roughly (weight = .*height|height = )", text), text
        box.scroll_into_view_if_needed()
        shot(page, "pgnd_playground_neuron")
        assert page.get_by_test_id("stException").count() == 0
    finally:
        stop_app(proc)
