"""``LoadedData``: a DataFrame and how it was read, the one thing every reader returns (the
loader, the picture zips of :mod:`kwk.data.images`, the server folders and SQL); kept apart from
the readers so each of them can import it one way."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class LoadedData:
    """A DataFrame and how it was read. ``read_options`` are keyword arguments of the pandas
    reader named by ``fmt`` (``csv``, ``excel``, ``parquet``, ``jsonl``, ``spss``, ``stata``,
    ``sas``, ``feather``; an ``.ods`` or ``.xls`` sheet is ``excel`` with its ``engine``)."""
    df: pd.DataFrame
    name: str
    fmt: str
    read_options: dict = field(default_factory=dict)
    fingerprint: str = ""
    n_bytes: int = 0
    sheets: list[str] = field(default_factory=list)
    image_shape: tuple | None = None  # (height, width, channels) when the rows are pictures
    notes: list[str] = field(default_factory=list)
    # a class challenge's student.zip: its other members (challenge.json, test.csv) as bytes,
    # read by kwk.learn.challenge.challenge_of; None for any other file
    challenge: dict[str, bytes] | None = None
