"""Which columns of a table are the pixels of a picture: **the one rule**, used by the spec's
choices (:mod:`kwk.spec.choices`), its checks and resolution (:mod:`kwk.spec.checks.images`,
:mod:`kwk.spec.checks.mixed`), the picture profile (:mod:`kwk.data.image_profile`) and the
Target page (:mod:`kwk.ui.modality`), so the page, the spec and the profile count the same
columns (a CSV of ``px_…`` columns beside a numeric id has as many pixels as ``px_`` columns
everywhere).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd
from pandas.api import types as ptypes

PIXEL_PREFIX = "px_"  # the columns a zip of pictures is read into (kwk.data.images)
FEATURE = "feature"  # the default role of a column


def numbered_groups(columns: Iterable[str], min_size: int = 4) -> dict[str, list[str]]:
    """Columns named <prefix><number> (px_0, px_1, … or pixel1, pixel2, …) by prefix, each in
    number order, for groups of at least ``min_size``: the pixel columns of a table."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for c in columns:
        m = re.fullmatch(r"(.*?)(\d+)", str(c))
        if m:
            groups.setdefault(m.group(1), []).append((int(m.group(2)), str(c)))
    return {k: [c for _, c in sorted(v)] for k, v in groups.items() if len(v) >= min_size}


def pixel_columns(data, target: str | None = None, roles: Mapping[str, str] | None = None, *,
                  features: list[str] | None = None, exclude: Iterable[str] = (),
                  size: int | None = None, numeric_rest: bool = True) -> list[str]:
    """A picture's pixel columns, in order. ``data``: the DataFrame, or its column names.

    1. ``features`` (the spec's ``data.features``) when some are given;
    2. else the ``px_…`` columns (what a zip of pictures is read into), in the table's order;
    3. else, with ``size`` (the picture's number of values) known, the one group of numbered
       columns (pixel1, pixel2, …) with exactly that many members, in number order;
    4. else (unless ``numeric_rest`` is false: a mixed model's table keeps those) the numeric
       columns; with column names only, every column.

    The target, the ``exclude`` columns (a validation column) and columns whose ``roles`` entry
    is not ``"feature"`` are never pixels in steps 3 and 4."""
    if features:
        return list(features)
    frame = data if isinstance(data, pd.DataFrame) else None
    cols = [str(c) for c in (data.columns if frame is not None else data)]
    px = [c for c in cols if c.startswith(PIXEL_PREFIX)]
    if px:
        return px
    left_out = {target, *exclude}
    roles = roles or {}
    others = [c for c in cols if c not in left_out and roles.get(c, FEATURE) == FEATURE]
    if size is not None:
        found = [g for g in numbered_groups(others, 1).values() if len(g) == size]
        if len(found) == 1:
            return found[0]
    if not numeric_rest:
        return []
    if frame is None:
        return others
    return [c for c in others if ptypes.is_numeric_dtype(frame[c])]
