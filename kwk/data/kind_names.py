"""The names of the column kinds, without pandas: the spec's schema and the pages list them
before any data is read (inference itself lives in :mod:`kwk.data.kinds`)."""

KINDS = ("numeric", "categorical", "boolean", "datetime", "text", "identifier", "constant")
MODEL_KINDS = ("numeric", "categorical", "boolean", "datetime")  # kinds a tabular model uses
