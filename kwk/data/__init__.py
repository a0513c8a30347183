"""Data in: load any supported file into a DataFrame, infer column kinds, profile.

The names below are imported when first used (PEP 562), so that what needs no pandas (the
extension list, the samples' titles, the allowed server folders: the landing page) stays quick
to import. ``profile`` is a submodule too: import the function as
``from kwk.data.profile import profile``.
"""
from importlib import import_module

_WHERE = {"KINDS": "kinds", "infer_kind": "kinds", "infer_kinds": "kinds",
          "LoadedData": "loader", "load": "loader", "list_sheets": "loader",
          "SUPPORTED_EXTENSIONS": "formats"}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"kwk.data.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'kwk.data' has no attribute {name!r}")
