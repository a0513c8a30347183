"""Real-browser tests: Streamlit on a free localhost port, Debian's Chromium via pytest-playwright."""
import os

import pytest
from browser_util import CHROMIUM, start_app, stop_app


def pytest_collection_modifyitems(items):
    for it in items:
        if "e2e" in str(it.fspath):
            it.add_marker(pytest.mark.e2e)
            if not os.path.exists(CHROMIUM):
                it.add_marker(pytest.mark.skip(reason="Debian chromium is not installed"))


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 1400, "height": 1000}, "accept_downloads": True}


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    proc, url = start_app(tmp_path_factory.mktemp("ws"))
    yield url
    stop_app(proc)


@pytest.fixture(autouse=True)
def _patient_page(request):
    """Every wait is for the page's own signal; on a machine kept busy by other processes a
    page can take well over Playwright's default 30 s to show it, so the bound is 2 minutes."""
    if "page" in request.fixturenames:
        request.getfixturevalue("page").set_default_timeout(120_000)
    yield
