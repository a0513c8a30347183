"""Data in: load any supported file into a DataFrame, infer column kinds, profile."""
from kwk.data.kinds import KINDS, infer_kind, infer_kinds
from kwk.data.loader import SUPPORTED_EXTENSIONS, LoadedData, list_sheets, load
from kwk.data.profile import profile

__all__ = ["LoadedData", "load", "list_sheets", "SUPPORTED_EXTENSIONS", "KINDS", "infer_kind",
           "infer_kinds", "profile"]
