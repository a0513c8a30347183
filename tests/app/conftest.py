import pytest


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    """Every app test gets its own empty workspace (the store is cached per process)."""
    monkeypatch.setenv("KWK_WORKSPACE", str(tmp_path / "ws"))
    import streamlit as st
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path / "ws"


@pytest.fixture(autouse=True, scope="session")
def run_through_navigation():
    """AppTest resets ``PagesManager.uses_pages_directory`` before every run, so with a
    ``pages/`` folder each rerun would execute the page script directly (Streamlit's v1
    multipage mode), skipping kwk_app.py: its session defaults, navigation and error guard.
    A real server sets the flag once per process and st.navigation turns it off for good.
    Redirect AppTest's reset to a subclass so tests run the app as the server does."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class _Reset(PagesManager):
        pass

    PagesManager.uses_pages_directory = False
    original = app_test.PagesManager
    app_test.PagesManager = _Reset
    yield
    app_test.PagesManager = original


@pytest.fixture(autouse=True)
def tables_draw_as_they_are():
    """A table a page hands to Streamlit converts to Arrow as it is. When it does not (a
    column of numbers and "—"), Streamlit logs a traceback, converts the columns to text, and
    does both again on every rerun: a page's table should never need that."""
    import logging

    class Caught(logging.Handler):
        def __init__(self):
            super().__init__(logging.INFO)
            self.messages = []

        def emit(self, record):
            if "Serialization of dataframe to Arrow table was unsuccessful" in record.getMessage():
                self.messages.append(f"{record.exc_info[1] if record.exc_info else ''}")

    logger = logging.getLogger("streamlit.dataframe_util")
    caught, level = Caught(), logger.level
    logger.addHandler(caught)
    logger.setLevel(logging.INFO)
    yield
    logger.removeHandler(caught)
    logger.setLevel(level)
    assert not caught.messages, f"a table was not Arrow-compatible: {caught.messages[0]}"
