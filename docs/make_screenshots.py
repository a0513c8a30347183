"""Retake the README's screenshots (docs/*.png) in headless Chromium, on a model worth showing.

    python docs/make_screenshots.py

Starts the app on a free port with a throw-away workspace, loads the breast-cancer sample,
trains it (60 epochs, early stopping), and shoots Build, Evaluate and the Playground. Waits for the app's own signals (script idle, "The run is saved"), never for time,
except to let the Playground train for a few seconds.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def idle(page, timeout_s=180):
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout_s * 1000)


def nav(page, name, heading):
    """Open a page from the sidebar and wait for its own heading (a click returns before the
    app starts running, so "idle" alone could still be the previous page)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).first.click()
    page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
    idle(page)


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ws = tempfile.mkdtemp(prefix="kwk_shots_")
    env = {**os.environ, "KWK_WORKSPACE": ws, "PYTHONPATH": str(ROOT)}
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "kwk_app.py",
                            "--server.port", str(port), "--server.headless", "true"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            idle(page)
            page.get_by_test_id("stSelectbox").filter(has_text="pick a sample").first.click()
            page.get_by_role("option", name="Breast cancer", exact=True).first.click()
            idle(page)
            page.get_by_role("button", name="Use this sample").click()
            page.get_by_role("heading", name="📂 Data").first.wait_for()
            idle(page)
            nav(page, "Build", "🧱 Build the network")
            page.get_by_text("Next: Train").first.wait_for()
            page.frame_locator("iframe[title*='sortables']").first.locator(
                ".sortable-item").first.wait_for(timeout=60_000)  # the drag-and-drop stack
            page.screenshot(path=str(OUT / "build.png"))
            nav(page, "Train", "🏋️ Train")
            epochs = page.get_by_label("epochs", exact=True)
            epochs.fill("60")
            epochs.press("Tab")
            page.get_by_role("button", name="Start training").click()
            page.get_by_text("The run is saved").wait_for(timeout=600_000)
            idle(page)
            nav(page, "Evaluate", "📊 Evaluate")
            page.get_by_text("Confusion matrix").first.wait_for()
            page.get_by_text("Balanced accuracy").first.wait_for(state="attached")
            page.set_viewport_size({"width": 1400, "height": 1500})
            idle(page)
            page.wait_for_timeout(1500)  # the metrics grid draws on a canvas after it attaches
            page.screenshot(path=str(OUT / "evaluate.png"))
            page.set_viewport_size({"width": 1400, "height": 1000})
            page.goto(url + "/playground?dataset=spiral&layers=8,8,6&features=x1,x2,sin_x1,sin_x2"
                      "&learning_rate=0.03&activation=tanh")
            idle(page)
            page.get_by_role("button", name="Play").click()
            page.wait_for_timeout(15_000)  # let it learn the spiral for a while
            page.get_by_role("button", name="Pause").click()
            idle(page)
            page.screenshot(path=str(OUT / "playground.png"))
            browser.close()
    finally:
        app.terminate()
        app.wait(10)
    print("Wrote", ", ".join(str(OUT / n) for n in ("build.png", "evaluate.png", "playground.png")))


if __name__ == "__main__":
    main()
