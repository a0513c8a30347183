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
