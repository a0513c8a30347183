"""App cold start: seconds from launching `streamlit run kwk_app.py` until the Data page is
interactive in headless Chromium (target under 3 s), and whether TensorFlow was loaded by then
(it must not be). Also the Data page of a warm server, for comparison.
Run: python bench/bench_cold_start.py. Needs Debian's chromium. Appends to bench/RESULTS.md.
"""
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from common import ROOT, record


def _tf_loaded(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/maps") as f:
            return "tensorflow" in f.read()
    except OSError:
        return False


def main(runs: int = 3) -> None:
    from playwright.sync_api import sync_playwright
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    cold, warm, tf = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for _ in range(runs):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            ws = tempfile.mkdtemp()
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "kwk_app.py",
                                     "--server.port", str(port), "--server.headless", "true"],
                                    cwd=ROOT, env={"KWK_WORKSPACE": ws, "HOME": ws, "PATH": "/usr/bin:/bin"},
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            page = browser.new_page()
            page.goto(url)
            page.get_by_text("Upload a file or pick a sample to begin").wait_for(timeout=60_000)
            cold.append(time.perf_counter() - t0)
            tf.append(_tf_loaded(proc.pid))
            t1 = time.perf_counter()
            page2 = browser.new_page()
            page2.goto(url)
            page2.get_by_text("Upload a file or pick a sample to begin").wait_for(timeout=60_000)
            warm.append(time.perf_counter() - t1)
            proc.terminate()
            proc.wait(10)
        browser.close()
    c, w = min(cold), min(warm)
    record("app cold start: launch to an interactive Data page in headless Chromium",
           f"cold {c:.2f}s, warm server {w:.2f}s; TensorFlow loaded: {'yes' if any(tf) else 'no'}",
           f"**{c / 3:.2f}x** of the 3 s target")


if __name__ == "__main__":
    main()
