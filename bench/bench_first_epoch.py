"""First epoch on screen (issue 30, item 2): seconds from pressing "Start training" until the
Train page draws epoch 1, in headless Chromium, for the first training of a fresh server, with
TensorFlow loaded in the background when the Train page opens (the app's default) and without
(``KWK_WARMUP=0``, the baseline), in the same run. The user is assumed to spend THINK seconds on
the Train page before pressing Start (reading the settings); 0 s is the worst case.
Run: python bench/bench_first_epoch.py [THINK ...]. Needs Debian's chromium. Appends to
bench/RESULTS.md.
"""
import os
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, record

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT))

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
EPOCH_DRAWN = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
    m.innerText.startsWith('Epoch') && /\\b[1-9][0-9]* \\/ [0-9]+/.test(m.innerText))"""


def first_epoch(browser, warm: bool, think: float) -> float:
    from browser_util import nav, start_app, stop_app, use_sample, wait_idle
    ws = Path(tempfile.mkdtemp())
    proc, url = start_app(ws, KWK_WARMUP="1" if warm else "0")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        use_sample(page, url, "Customer churn (generated)", "churn")
        nav(page, "Train")
        time.sleep(think)  # the user reads the settings (a benchmark's model of a person)
        wait_idle(page)
        t0 = time.perf_counter()
        page.get_by_role("button", name="Start training").click()
        page.wait_for_function(EPOCH_DRAWN, timeout=300_000, polling=50)
        return time.perf_counter() - t0
    finally:
        stop_app(proc)


def main(thinks: list[float]) -> None:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for think in thinks:
            base = first_epoch(browser, warm=False, think=think)
            warm = first_epoch(browser, warm=True, think=think)
            print(f"think {think:g} s: without warm-up {base:.2f} s, with {warm:.2f} s")
            record(f"first training of a fresh server: Start training → epoch 1 drawn in "
                   f"Chromium (churn sample), {think:g} s on the Train page before Start",
                   f"TensorFlow loaded in the background when Train opens: {warm:.2f} s; "
                   f"without (KWK_WARMUP=0): {base:.2f} s",
                   f"**{warm / base:.2f}x** the time without the warm-up")
        browser.close()


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [0.0, 10.0])
