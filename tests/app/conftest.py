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
