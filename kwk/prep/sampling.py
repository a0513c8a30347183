"""Reservoir sampling lives in :mod:`kwk.data.sampling` (reading a file in chunks needs it, and
data sits below prep); this name stays for the modules that still import it from here."""
from kwk.data.sampling import Reservoir  # noqa: F401
