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
    """Wait until Streamlit has finished running the script."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout_s * 1000)
    page.wait_for_timeout(400)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def start_app(workspace, **env_extra):
    """Start ``streamlit run kwk_app.py`` on a free port; returns ``(process, url)``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KWK_WORKSPACE": str(workspace), "PYTHONPATH": str(ROOT), **env_extra}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "kwk_app.py"),
                             "--server.port", str(port), "--server.headless", "true",
                             "--server.address", "127.0.0.1",
                             # a test's server never reruns because a source file changed
                             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start")
    return proc, url
