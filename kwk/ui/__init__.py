"""Shared Streamlit widgets and session helpers: the only engine package that imports streamlit."""
