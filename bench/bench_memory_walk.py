"""Memory of the app server over a newcomer's walk in headless Chromium, on a 10,000-row table:
upload, the profile's tabs, the target (and its screening), Build, a training, Evaluate with
permutation importance and SHAP contributions, a short Tune search, every download on Predict &
export and the predictions of the current table. A thread samples the server process's resident
memory (/proc/PID/status VmRSS) every 50 ms throughout; the benchmark records the peak (goal:
at most 1 GB, what Streamlit Community Cloud's smaller apps get), the memory at the end of each
step, and what is left when every job has ended (memory returned after a job). Each step waits
for the page's own signal (a text, the script run over), never for a fixed time.

Run: python bench/bench_memory_walk.py [--rows 10000] [--low-memory 1] (1: the memory-saving
mode of kwk/ui/cache_export.py, as a Community Cloud container turns on by itself). Needs
Debian's chromium. Appends to bench/RESULTS.md.
"""
import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, record

sys.path.insert(0, str(ROOT / "tests" / "e2e"))

GOAL_MB = 1024


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of process ``pid`` in MB (``VmRSS``; ``RssAnon``: its part not backed
    by files, i.e. without the libraries' mapped code), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of the process's children (a download built in its own process)."""
    total = 0.0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += rss_mb(int(child), field)
    except OSError:
        pass
    return total


class Sampler(threading.Thread):
    """Samples a process's RSS until stopped; ``mark(step)`` notes the memory at the end of a
    step and the peak since the mark before."""

    def __init__(self, pid: int, every_s: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.every_s = pid, every_s
        self.peak = self.step_peak = self.children_peak = self.anon_peak = 0.0
        self.together_peak = 0.0  # the container's share: see run()
        self.steps: list[tuple[str, float, float]] = []
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._halt.is_set():
            now, kids = rss_mb(self.pid), children_rss_mb(self.pid)
            anon = rss_mb(self.pid, "RssAnon")
            # what a container (cgroup) is charged for the app and its children: every
            # process's own memory, and the libraries' mapped files once (they share them)
            together = now + children_rss_mb(self.pid, "RssAnon")
            with self._lock:
                self.together_peak = max(self.together_peak, together)
                self.anon_peak = max(self.anon_peak, anon)
                self.peak = max(self.peak, now)
                self.step_peak = max(self.step_peak, now)
                self.children_peak = max(self.children_peak, kids)
            self._halt.wait(self.every_s)

    def mark(self, step: str) -> float:
        now = rss_mb(self.pid)
        with self._lock:
            self.steps.append((step, now, max(self.step_peak, now)))
            self.step_peak = now
        print(f"  {step:<34} now {now:6.0f} MB   peak in step {self.steps[-1][2]:6.0f} MB",
              flush=True)
        return now

    def stop(self) -> None:
        self._halt.set()
        self.join()


def table(rows: int, path: Path) -> None:
    """A mixed table: 10 numbers (2% missing in one), 2 categories and a binary target with a
    learnable signal."""
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 10))
    city = rng.choice(["north", "south", "east", "west", "centre"], rows)
    plan = rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2])
    logit = 1.5 * X[:, 0] - X[:, 1] + X[:, 2] * X[:, 3] + (plan == "pro") - (city == "west")
    df = pd.DataFrame(X.round(4), columns=[f"x{i}" for i in range(10)])
    df.loc[rng.random(rows) < 0.02, "x5"] = np.nan
    df["city"], df["plan"] = city, plan
    df["y"] = np.where(logit + rng.normal(scale=0.5, size=rows) > 0, "yes", "no")
    df.to_csv(path, index=False)


def walk(page, url: str, csv: Path, s: Sampler, out: Path) -> None:
    from browser_util import nav, open_tab, wait_idle
    from test_browser import choose, upload
    page.set_default_timeout(600_000)
    page.goto(url)
    page.get_by_text("Upload a file or pick a sample to begin").wait_for()
    wait_idle(page)
    s.mark("landing page")
    upload(page, csv)
    wait_idle(page)
    s.mark("upload")
    for tab in ("Column profiles", "Correlations"):
        open_tab(page, tab)
        wait_idle(page)
    s.mark("profile tabs")
    nav(page, "Target")
    choose(page, "What should the model predict?", "y")
    page.get_by_text("Which columns predict the target on their own").wait_for()
    wait_idle(page)
    s.mark("target + screening")
    nav(page, "Build")
    s.mark("build")
    nav(page, "Train")
    ep = page.get_by_label("epochs", exact=True)
    ep.fill("5")
    ep.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("The run is saved").wait_for()
    wait_idle(page)
    s.mark("train (job ended)")
    nav(page, "Evaluate")
    open_tab(page, "Importance")
    wait_idle(page)
    page.get_by_role("button", name="Compute importance").click()
    page.get_by_text("Permutation importance").first.wait_for()
    wait_idle(page)
    s.mark("evaluate + importance")
    page.get_by_role("button", name="Compute contributions").click()
    page.get_by_text("the longer the bar, the more that column moves").wait_for()
    wait_idle(page)
    s.mark("SHAP (job ended)")
    nav(page, "Tune")
    page.get_by_text("What to search").wait_for()
    for label, value in (("Trials", "3"), ("Minutes at most", "3")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Find a better network").click()
    page.get_by_text("The best network beside yours, on the test rows").wait_for()
    wait_idle(page)
    s.mark("tune (job ended)")
    nav(page, "Predict & export")
    for label in ("SavedModel (zip)", "LiteRT (.tflite)", "ONNX", "Run folder (zip)",
                  "Notebook (.ipynb)"):
        page.get_by_role("button", name=label).first.click()
        wait_idle(page, 600)
    s.mark("every export built")
    buttons = page.get_by_test_id("stDownloadButton").locator("button")
    # a download with a tooltip matches twice (its button and the tooltip's wrapper): each
    # file once
    names = list(dict.fromkeys(buttons.nth(i).inner_text().strip()
                               for i in range(buttons.count())))
    got = []
    for name in names:
        try:
            with page.expect_download(timeout=120_000) as dl:
                page.get_by_test_id("stDownloadButton").locator("button").filter(
                    has_text=name).first.click()
            dl.value.save_as(out / dl.value.suggested_filename)
            got.append(dl.value.suggested_filename)
        except Exception as e:  # noted, the walk goes on
            page.screenshot(path=str(out / "download_failed.png"), full_page=True)
            print(f"  download '{name}' failed: {type(e).__name__}", flush=True)
    wait_idle(page)
    s.mark(f"{len(got)} of {len(names)} downloads")
    page.get_by_role("button", name="…or predict the current dataset").click()
    page.get_by_text("Download predictions (CSV)").first.wait_for()
    wait_idle(page)
    s.mark("predict the current table")
    nav(page, "Data")
    s.mark("back on Data (every job ended)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--low-memory", choices=("0", "1"), default="0",
                    help="KWK_LOW_MEMORY for the server: 1 as on Community Cloud (model "
                         "downloads built in a child process, one job at a time)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright
    from browser_util import CHROMIUM, start_app, stop_app
    tmp = Path(tempfile.mkdtemp(prefix="kwk_memwalk_"))
    csv = tmp / f"walk_{args.rows}.csv"
    table(args.rows, csv)
    proc, url = start_app(tmp / "ws", KWK_LOW_MEMORY=args.low_memory)
    s = Sampler(proc.pid)
    s.start()
    t0 = time.perf_counter()
    try:
        idle = s.mark("server started")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_context(accept_downloads=True,
                                       viewport={"width": 1400, "height": 1000}).new_page()
            walk(page, url, csv, s, tmp)
            browser.close()
    finally:
        s.stop()
        stop_app(proc)
    steps = dict((name, now) for name, now, _ in s.steps)
    after = s.steps[-1][1]
    trained = steps["train (job ended)"]
    peak_step = max(s.steps, key=lambda r: r[2])
    record(f"app server memory over a newcomer's walk in Chromium ({args.rows:,} rows x 13: "
           "upload, profile, target, build, train 5 epochs, importance, SHAP, a 3-trial tune, "
           "every export, predictions; "
           f"KWK_LOW_MEMORY={args.low_memory})",
           f"peak {s.peak:.0f} MB (in '{peak_step[0]}'; not file-backed: peak "
           f"{s.anon_peak:.0f} MB); started {idle:.0f} MB, after training "
           f"{trained:.0f} MB, at the end with every job over {after:.0f} MB; children's peak "
           f"{s.children_peak:.0f} MB; the app and its children together (their own memory, the "
           f"libraries once): peak {s.together_peak:.0f} MB; {time.perf_counter() - t0:.0f} s",
           f"**{s.peak / GOAL_MB:.2f}x** of the 1 GB goal; at the end "
           f"{after / s.peak:.2f}x of the peak")


if __name__ == "__main__":
    main()
