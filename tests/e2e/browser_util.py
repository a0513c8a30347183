"""Helpers for the browser tests."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def wait_idle(page, timeout_s: float = 60) -> None:
    """Wait until Streamlit has finished running the script (no running widget and nothing
    stale left from the run before). A rerun that has not started yet cannot be seen here:
    after a click that changes the page, wait for that page's own signal (see :func:`nav`)."""
    page.wait_for_timeout(400)
    page.wait_for_function(_SETTLED, timeout=timeout_s * 1000)
    page.wait_for_timeout(400)


_SETTLED = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
            " && !document.querySelector('[data-stale=\"true\"]')")
# a page's title (st.title, the first h1) for each sidebar link; Data without data is the welcome
TITLES = {"Data": ["Data", "Keras Without Keras"]}


def pick_option(page, label_text: str, option: str, tries: int = 5) -> None:
    """Choose ``option`` in the select box labelled ``label_text``. A rerun that redraws the
    page (the sidebar's marks, a kept session) can close a list that was just opened, so the
    list is opened again until the option shows (each try waits for the option itself)."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label_text).first
    for i in range(tries):
        wait_idle(page)
        box.click()
        opt = page.get_by_role("option", name=option, exact=True).first
        try:
            opt.wait_for(state="visible", timeout=20_000)
        except Exception:
            if i == tries - 1:
                raise
            page.keyboard.press("Escape")
            continue
        opt.click()
        wait_idle(page)
        return


def wait_saved(page, timeout_s: float = 180) -> None:
    """Wait until the Train page says its run is saved and the page has settled, then check
    that it says so once (a redraw in progress can briefly hold the run before's copy too; a
    copy left after the page is idle is a bug)."""
    saved = page.get_by_text("The run is saved")
    saved.first.wait_for(timeout=timeout_s * 1000)
    wait_idle(page)
    assert saved.count() == 1, f"'The run is saved' is on the page {saved.count()} times"


def open_tab(page, name: str, timeout_s: float = 60) -> None:
    """Click the tab called ``name``. While Streamlit redraws a page (a rerun that a kept
    session or the address starts), the tabs of the run before can still be in the page beside
    the new ones; the click waits until the page shows one such tab (its own state, not a
    fixed time). A hang guard, not a speed check."""
    tabs = page.get_by_role("tab", name=name)
    end = time.monotonic() + timeout_s
    while True:
        try:
            if tabs.count() == 1:
                tabs.click(timeout=10_000)
                return
        except Exception as e:  # the tab was redrawn between the count and the click
            if "strict mode" not in str(e) and time.monotonic() > end:
                raise
        if time.monotonic() > end:
            raise AssertionError(f"the page never showed one '{name}' tab "
                                 f"({tabs.count()} found)")
        page.wait_for_timeout(200)


def nav(page, name: str, timeout_s: float = 120) -> None:
    """Open a page from the sidebar and wait for the page's own signals: its title is drawn
    and its script run has ended (nothing running, nothing stale from the page before). A
    busy machine can take long to start the run; no fixed pause is relied on."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).first.click()
    page.wait_for_function(
        "(want) => { const h = document.querySelector('h1');"
        " return !!h && want.some(w => h.innerText.includes(w))"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]'); }",
        arg=TITLES.get(name, [name]), timeout=timeout_s * 1000)


def use_sample(page, app_url: str, title: str, key: str, timeout_s: float = 120) -> None:
    """Open the app, pick a bundled sample and wait until the Data page shows it (its
    ``key.csv`` heading), not for a fixed time."""
    page.goto(app_url)
    page.get_by_text("pick a sample dataset").first.wait_for()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="pick a sample dataset").first.click()
    page.get_by_role("option", name=title, exact=True).first.click()
    page.get_by_role("button", name="Use this sample").click()
    page.get_by_role("heading", name=f"{key}.csv").wait_for(timeout=timeout_s * 1000)
    wait_idle(page, timeout_s)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def start_app(workspace, **env_extra):
    """Start ``streamlit run kwk_app.py`` on a free port; returns ``(process, url)``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # faulthandler: a server that does not stop is sent SIGABRT, and its threads' stacks land in
    # its log (say where it hung, not only that it did)
    env = {**os.environ, "KWK_WORKSPACE": str(workspace), "PYTHONPATH": str(ROOT),
           "PYTHONFAULTHANDLER": "1", **env_extra}
    log_path = Path(str(workspace).rstrip("/") + ".server.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "kwk_app.py"),
                             "--server.port", str(port), "--server.headless", "true",
                             "--server.address", "127.0.0.1",
                             # a test's server never reruns because a source file changed
                             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()  # the child holds its own copy
    proc.kwk_log = log_path
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180  # a hang guard: the health check is the signal (generous:
    while time.time() < deadline:  # three test processes and a busy loop share two cores)
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    return proc, url


def stop_app(proc, grace_s: float = 60) -> None:
    """Stop a server started by :func:`start_app` as Ctrl-C would (SIGTERM). A server that has
    trained several models on a busy machine can take more than 10 s to wind down; one that
    has not stopped after ``grace_s`` is killed and reported, not waited on forever."""
    import signal
    t0 = time.monotonic()
    proc.terminate()
    try:
        proc.wait(grace_s)
        print(f"[the app server stopped {time.monotonic() - t0:.1f} s after SIGTERM]")
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler writes every thread's stack to the log
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
        log = getattr(proc, "kwk_log", None)
        tail = log.read_text(errors="replace")[-6000:] if log and log.exists() else ""
        pytest.fail(f"the app server did not stop within {grace_s:g} s of SIGTERM; "
                    f"its threads then:\n{tail}")
