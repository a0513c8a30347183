"""App cold start: seconds from launching `streamlit run kwk_app.py` until the Data page is
interactive in headless Chromium (target under 3 s), and whether TensorFlow was loaded by then
(it must not be). The same is measured, in the same run, for a bare one-line Streamlit app: the
floor that Streamlit itself sets on this machine. Also the Data page of a warm server.
Run: python bench/bench_cold_start.py. Needs Debian's chromium. Appends to bench/RESULTS.md.
"""
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, record

READY = "Upload a file or pick a sample to begin"


def _loaded(pid: int, package: str) -> bool:
    """Whether the process has mapped a compiled library of ``package`` (it was imported)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return f"/{package}/" in f.read()
    except OSError:
        return False


def _launch(browser, app: str, cwd: Path, text: str, warm: bool) -> tuple:
    """Start a server for ``app``; seconds until ``text`` shows in a fresh page (cold), then in
    a second page of the running server (warm); whether TensorFlow and pandas got loaded."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ws = tempfile.mkdtemp()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", app,
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=cwd, env={"KWK_WORKSPACE": ws, "HOME": ws, "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        up = time.perf_counter() - t0  # the server answers (Python, Streamlit, no script yet)
        page = browser.new_page()
        page.goto(url)
        page.get_by_text(text).wait_for(timeout=60_000)
        cold = time.perf_counter() - t0
        tf, pd = _loaded(proc.pid, "tensorflow"), _loaded(proc.pid, "pandas")
        w = float("nan")
        if warm:
            t1 = time.perf_counter()
            page2 = browser.new_page()
            page2.goto(url)
            page2.get_by_text(text).wait_for(timeout=60_000)
            w = time.perf_counter() - t1
        return cold, w, tf, pd, up
    finally:
        proc.terminate()
        proc.wait(10)


def main(runs: int = 5) -> None:
    import statistics
    from playwright.sync_api import sync_playwright
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    bare_dir = Path(tempfile.mkdtemp())
    (bare_dir / "bare.py").write_text(f'import streamlit as st\nst.write("{READY}")\n')
    kwk, bare = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for _ in range(runs):  # interleaved, so both see the same machine
            bare.append(_launch(browser, "bare.py", bare_dir, READY, warm=False))
            kwk.append(_launch(browser, "kwk_app.py", ROOT, READY, warm=True))
        browser.close()
    c = min(r[0] for r in kwk)
    w = min(r[1] for r in kwk)
    b = min(r[0] for r in bare)
    tf = any(r[2] for r in kwk)
    pd = any(r[3] for r in kwk)
    med = statistics.median(k[0] / r[0] for k, r in zip(kwk, bare))  # each round's own ratio
    # where the time goes: until the server answers (the same for both), then the page
    page_k = statistics.median(r[0] - r[4] for r in kwk)
    page_b = statistics.median(r[0] - r[4] for r in bare)
    record("app cold start: launch to an interactive Data page in headless Chromium",
           f"cold {c:.2f}s (a bare one-line Streamlit app: {b:.2f}s), warm server {w:.2f}s; "
           f"from the server's first answer to the drawn page (median): {page_k:.2f}s vs "
           f"{page_b:.2f}s; {runs} rounds; TensorFlow loaded: {'yes' if tf else 'no'}; pandas "
           f"loaded: {'yes' if pd else 'no'}",
           f"**{c / 3:.2f}x** of the 3 s target; {c / b:.2f}x the bare Streamlit app (best of "
           f"each), {med:.2f}x (median of the rounds' ratios)")


if __name__ == "__main__":
    main()
