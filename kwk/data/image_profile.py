"""The profile of pictures stored as pixel columns: the pictures, not the pixels.

A zip of class folders (``kwk.data.images``) or a pixel CSV (the digits sample) is a table of
hundreds of pixel columns and one label. Profiling each pixel as a column says nothing useful
("px_0: constant", "px_0 and px_3 are highly correlated" thousands of times) and costs seconds.
:func:`profile_images` profiles the pictures instead: how many per class and whether a class is
rare, their size and colour, brightness and contrast per class, exact duplicates (within a class,
and across classes: a labelling mistake), near-blank pictures and files that could not be read.
:func:`kwk.data.profile.profile` calls it when :func:`picture_columns` finds pictures.

Which columns are pixels is :func:`kwk.data.pixels.pixel_columns`, the one rule the spec, its
checks and the pages use too.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kwk.data.pixels import FEATURE, PIXEL_PREFIX, pixel_columns  # noqa: F401  (the one rule)

BLANK_SPREAD = 0.01  # a picture whose pixels spread over under 1% of the data's range is near-blank
EXAMPLES = 5  # rows named per finding
LABEL_NAMES = ("label", "class", "digit", "target", "y")


def picture_columns(df: pd.DataFrame, image_shape: Sequence[int] | None = None
                    ) -> tuple[list[str], str | None] | None:
    """``(pixel columns, label column or None)`` when ``df`` holds pictures, else None.

    Pictures: the pixel columns (:func:`pixel_columns`) are every column but at most one, the
    label, and there are as many as ``image_shape`` holds (when it is known) or at least 4.
    With ``image_shape`` unknown only ``px_…`` columns count as pixels (a table of numbers is
    not taken for pictures)."""
    from kwk.data.images import folder_split
    split = folder_split(df)  # a zip of train/ and test/ folders: its split column is no pixel
    cols = [str(c) for c in df.columns if not split or str(c) != split["column"]]
    others = [c for c in cols if not c.startswith(PIXEL_PREFIX)]
    if len(others) == len(cols):  # no px_ names: numeric columns, with the shape known only
        if image_shape is None:
            return None
        others = [c for c in cols if c not in pixel_columns(df, None, {})]
        if not others:  # a numeric label: the one with a label's name
            others = [c for c in cols if c.lower() in LABEL_NAMES][:1]
    if len(others) > 1:
        return None
    label = others[0] if others else None
    px = pixel_columns(cols, label, {}) if split else pixel_columns(df, label, {})
    if len(px) < 4 or (image_shape is not None and math.prod(image_shape) != len(px)):
        return None
    return px, label


def picture_label(df: pd.DataFrame, image_shape: Sequence[int] | None = None) -> str | None:
    """The label column of pictures (the one column that is not a pixel), else None: the
    target a picture dataset comes with."""
    found = picture_columns(df, image_shape)
    return found[1] if found else None


def guess_shape(n: int) -> list[int]:
    """A square picture's shape for ``n`` pixel values: grey first, then colour; else one row."""
    for channels in (1, 3):
        side = math.isqrt(n // channels)
        if n % channels == 0 and side * side * channels == n:
            return [side, side, channels]
    return [1, n, 1]


def split_text(split: dict) -> str:
    """The split of a zip of train/ and test/ folders, in words (the Data page says it)."""
    folders, held = split["folders"], {r: k for r, k in split.get("held_out", {}).items() if k}
    parts = [f"{r} ({k:,} picture{'s' if k != 1 else ''})" for r, k in folders.items()]
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    text = f"This zip is split into {listed} folders: KwK uses that split"
    if held:
        text += (" — " + " and ".join(f"{k:,} of the train pictures (about "
                                     f"{100 * k / folders['train']:.0f}%, from every class) are "
                                     f"held out for {r}" for r, k in held.items())
                 + ", as the zip has no such folder")
    return (text + f". The column '{split['column']}' says which split each picture is in; "
            "it is not a model input.")


def _row_keys(x: np.ndarray) -> np.ndarray:
    """One code per picture; equal codes are exactly equal pictures (a 128-bit hash of the
    row's bytes)."""
    x = np.ascontiguousarray(x)
    digests = [hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in x]
    return pd.factorize(pd.Series(digests, dtype=object))[0]


def _duplicates(codes: np.ndarray, labels: np.ndarray | None) -> dict:
    """Groups of identical pictures: how many pictures repeat an earlier one in the same class
    (``within``), how many groups hold pictures of more than one class (``across``), and the
    first groups by row (``groups``: rows and their labels)."""
    s = pd.Series(codes)
    dup = s.duplicated(keep=False).to_numpy()
    out = {"within": 0, "across": 0, "repeated": int(s.duplicated().sum()), "groups": []}
    if not dup.any():
        return out
    rows = np.flatnonzero(dup)
    lab = labels if labels is not None else np.zeros(len(codes), dtype=object)
    for _, grp in pd.Series(rows).groupby(codes[rows], sort=False):
        members = grp.to_list()
        classes = [str(lab[r]) for r in members]
        distinct = list(dict.fromkeys(classes))
        mixed = len(distinct) > 1
        out["across"] += mixed
        out["within"] += len(members) - len(distinct)
        if len(out["groups"]) < 20:
            out["groups"].append({"rows": [int(r) for r in members], "labels": classes,
                                  "across": mixed})
    out["groups"].sort(key=lambda g: (not g["across"], g["rows"][0]))
    return out


def _unreadable(notes: Sequence[str]) -> int:
    """Files the picture reader skipped, from its note (kwk.data.images)."""
    for n in notes:
        m = re.match(r"(\d+) file\(s\) could not be read", n)
        if m:
            return int(m.group(1))
    return 0


def profile_images(df: pd.DataFrame, image_shape: Sequence[int] | None, label: str | None,
                   pixels: list[str] | None = None, notes: Sequence[str] = (),
                   name: str = "data", kinds: Mapping[str, str] | None = None) -> dict:
    """Profile pictures stored as pixel columns (one row per picture).

    ``image_shape``: (height, width, channels), guessed from the number of pixels when None;
    ``label``: the class column (or None); ``pixels``: the pixel columns (found by
    :func:`picture_columns` when None); ``notes``: the reader's notes (skipped files);
    ``kinds``: the user's kind for the label.

    Returns the keys of :func:`kwk.data.profile.profile` (``columns_info`` lists the label in
    full and each pixel as a plain numeric input, ``correlations`` is empty) plus ``images``:
    ``shape``, ``colour``, ``value_range``, ``classes`` (per class: pictures, share, brightness
    mean and sd, contrast mean; brightness is a picture's mean pixel, contrast its pixels'
    standard deviation), ``duplicates`` (see ``_duplicates``), ``blank`` (count and rows),
    ``missing_pixels``, ``unreadable``, ``split`` (a zip of train/ and test/ folders:
    :func:`kwk.data.images.folder_split` and its ``text``, else None). ``warnings`` holds a
    few, each about the pictures."""
    if pixels is None:
        found = picture_columns(df, image_shape)
        pixels = found[0] if found else [str(c) for c in df.columns if str(c) != label]
    n = int(len(df))
    shape = list(image_shape) if image_shape is not None else guess_shape(len(pixels))
    x = df[pixels].to_numpy(dtype=np.float32, na_value=np.nan) if n else np.zeros((0, len(pixels)))
    missing = int(np.isnan(x).sum())
    with np.errstate(invalid="ignore"):
        bright = np.nanmean(x, axis=1) if n else np.zeros(0)
        contrast = np.nanstd(x, axis=1) if n else np.zeros(0)
        lo = float(np.nanmin(x)) if x.size and missing < x.size else 0.0
        hi = float(np.nanmax(x)) if x.size and missing < x.size else 0.0
    labels = df[label].astype(str).to_numpy() if label is not None else None
    dups = _duplicates(_row_keys(np.nan_to_num(x, nan=-1.0)), labels) if n else _duplicates(
        np.zeros(0, dtype=int), None)
    blank_rows = np.flatnonzero(np.nan_to_num(contrast, nan=0.0) <= BLANK_SPREAD * (hi - lo))
    from kwk.data.images import folder_split
    split = folder_split(df)
    if split is not None:
        split = {**split, "text": split_text(split)}
    info = {"split": split, "shape": shape, "shape_guessed": image_shape is None,
            "colour": "grey" if shape[-1] == 1 else "colour", "pixels": len(pixels),
            "value_range": [lo, hi], "label": label,
            "classes": _class_stats(df, label, labels, bright, contrast),
            "duplicates": dups, "blank": {"count": int(len(blank_rows)),
                                          "rows": [int(r) for r in blank_rows[:20]]},
            "missing_pixels": missing, "unreadable": _unreadable(notes)}
    return {"name": name, "rows": n, "columns": int(df.shape[1]),
            "duplicate_rows": dups["repeated"],
            "memory_bytes": int(df.memory_usage(deep=False).sum()),
            "columns_info": _column_cards(df, label, pixels, kinds),
            "warnings": _picture_warnings(df, label, info, blank_rows),
            "correlations": {"columns": [], "matrix": [], "sampled_rows": 0},
            "images": info}


def _class_stats(df: pd.DataFrame, label: str | None, labels: np.ndarray | None,
                 bright: np.ndarray, contrast: np.ndarray) -> list[dict]:
    """Per class, in the classes' own order (2 before 10): pictures, share, brightness mean
    and sd, contrast mean."""
    if labels is None:
        return []
    frame = pd.DataFrame({"c": labels, "b": bright, "k": contrast})
    try:
        order = [str(v) for v in sorted(df[label].dropna().unique())]
    except TypeError:
        order = sorted(set(labels))
    groups = dict(list(frame.groupby("c", sort=False)))
    return [{"label": str(cls), "pictures": int(len(g)), "share": float(len(g) / len(df)),
             "brightness_mean": float(g["b"].mean()),
             "brightness_sd": float(g["b"].std(ddof=1)) if len(g) > 1 else 0.0,
             "contrast_mean": float(g["k"].mean())}
            for cls, g in ((c, groups[c]) for c in order if c in groups)]


def _picture_warnings(df: pd.DataFrame, label: str | None, info: dict,
                      blank_rows: np.ndarray) -> list[dict]:
    """The profile's warnings about the pictures: the label's own, classes with no train
    pictures, the same picture under two labels, duplicates, near-blank pictures, missing
    pixels and unreadable files."""
    from kwk.data.columns import target_warnings
    split, dups = info["split"], info["duplicates"]
    missing, unreadable = info["missing_pixels"], info["unreadable"]
    warnings: list[dict] = []
    if label is not None:
        for w in target_warnings(df[label], "categorical"):
            warnings.append({"columns": [label], "message": w})
    if split is not None and split["unseen"] and label is not None:
        lab = df[label].astype(str)
        held = lab[df[split["column"]].astype(str) != "train"]
        named = ", ".join(f"'{c}' ({int((held == c).sum())})" for c in split["unseen"][:10])
        warnings.append({"columns": [label], "message":
                         f"{len(split['unseen'])} class(es) have test or validation pictures "
                         f"but none in the train folder: {named}. The model cannot learn "
                         "them, so each of those pictures counts as an error; add train "
                         "pictures of them, or remove them"})
    across = [g for g in dups["groups"] if g["across"]]
    if dups["across"]:
        eg = "; ".join(f"rows {', '.join(map(str, g['rows'][:3]))}: "
                       f"{', '.join(repr(c) for c in dict.fromkeys(g['labels']))}"
                       for g in across[:3])
        warnings.append({"columns": [label], "message":
                         f"{dups['across']} picture(s) appear in more than one class ({eg}): "
                         "the same picture with two labels is a labelling mistake; remove "
                         "the wrong copy"})
    if dups["within"]:
        warnings.append({"columns": [], "message":
                         f"{dups['within']} exact duplicate picture(s) within a class: they "
                         "weigh twice in training and a copy can land in the test split, "
                         "flattering the score"})
    if len(blank_rows):
        warnings.append({"columns": [], "message":
                         f"{len(blank_rows)} near-blank picture(s) (almost a single colour, e.g. "
                         f"row {', '.join(map(str, blank_rows[:EXAMPLES]))}): check they are "
                         "real pictures of their class"})
    if missing:
        warnings.append({"columns": [], "message":
                         f"{missing:,} missing pixel values: the model fills them with the "
                         "training median of their pixel"})
    if unreadable:
        warnings.append({"columns": [], "message":
                         f"{unreadable} file(s) in the zip could not be read as pictures and "
                         "were skipped"})
    return warnings


def _column_cards(df: pd.DataFrame, label: str | None, pixels: list[str],
                  kinds: Mapping[str, str] | None) -> list[dict]:
    """The label's full column card (its warnings are said about the pictures instead) and a
    plain numeric card per pixel."""
    from kwk.data.columns import column_card
    cards = []
    if label is not None:
        cards.append({**column_card(df[label], len(df), (kinds or {}).get(label)),
                      "warnings": []})
    return cards + [{"name": c, "kind": "numeric", "kind_reason": "a pixel of the pictures",
                     "dtype": str(df[c].dtype), "missing": 0, "missing_pct": 0.0,
                     "unique": None, "unique_estimated": False, "stats": None, "top": [],
                     "histogram": None, "warnings": [], "pixel": True} for c in pixels]
