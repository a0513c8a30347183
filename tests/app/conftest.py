import pytest


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    """Every app test gets its own empty workspace (the store is cached per process)."""
    monkeypatch.setenv("KWK_WORKSPACE", str(tmp_path / "ws"))
    import streamlit as st
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path / "ws"
