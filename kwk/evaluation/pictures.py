"""New pictures scored by a trained picture model, the way people have them: one or many PNG
or JPEG files, or a zip of them with or without class folders. Each picture is read at the
model's size and colour exactly as training read its pictures (``kwk.data.images``), and the
result is a table with the file name first, the prediction, then each class's probability."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kwk.errors import DataError


@dataclass
class ScoredPictures:
    """``table``: ``file``, ``prediction``, ``proba_<class>`` … per readable picture;
    ``pixels``: their pixel rows (for thumbnails), ``shape``: (height, width, channels);
    ``failed``: ``(file name, reason in words)`` for each file that could not be read."""
    table: pd.DataFrame
    pixels: np.ndarray
    shape: tuple
    failed: list = field(default_factory=list)

    def failed_text(self, most: int = 20) -> str:
        return failed_text(self.failed, most)


def failed_text(failed: list, most: int = 20) -> str:
    """One sentence naming the unreadable files ``[(file name, reason), …]`` and why (the
    first ``most``); empty when there are none."""
    if not failed:
        return ""
    n = len(failed)
    listed = "; ".join(f"{f}: {why}" for f, why in failed[:most])
    return (f"{n} file{'s' if n > 1 else ''} could not be read and "
            f"{'were' if n > 1 else 'was'} not scored — {listed}"
            + (f"; and {n - most} more." if n > most else "."))


def picture_uploads(uploads: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Every picture in the uploads (each one picture or a zip of them) as ``(file name,
    bytes)``; a zip's pictures are named by their path inside it (prefixed with the zip's
    name when several files were given). Raises DataError for a file that is neither."""
    from kwk.data.images import picture_files
    out = []
    for name, data in uploads:
        files = picture_files(data, name)
        if len(uploads) > 1 and (data[:4] == b"PK\x03\x04" or name.lower().endswith(".zip")):
            files = [(f"{name}/{n}", raw) for n, raw in files]
        out.extend(files)
    return out


def is_picture_upload(name: str, data: bytes) -> bool:
    """Whether an upload is pictures to score: a picture file, or a zip holding pictures (a
    zip holding a table, and any table file, are rows of pixel columns instead)."""
    from kwk.data.images import PICTURE_EXTS, image_members, is_picture_bytes
    if data[:4] == b"PK\x03\x04" or name.lower().endswith(".zip"):
        import io
        import zipfile
        try:
            return bool(image_members(zipfile.ZipFile(io.BytesIO(data)).namelist()))
        except (zipfile.BadZipFile, OSError, ValueError):
            return name.lower().endswith(".zip")  # the picture reader says why
    return is_picture_bytes(data) or name.lower().endswith(PICTURE_EXTS)


def read_for(bundle, files: list[tuple[str, bytes]]) -> tuple[pd.DataFrame, list]:
    """Pictures ``[(file name, bytes), …]`` read at a picture run's size and colour:
    ``(frame of file + pixel columns, failed [(file name, reason)])``."""
    from kwk.data.images import read_pictures
    shape = (bundle.spec.get("data") or {}).get("image_shape")
    if not shape or (bundle.spec["data"].get("inputs") or {}):
        raise DataError("This run does not take pictures alone, so pictures cannot be scored "
                        "with it.", "Pick a run trained on a zip of pictures.")
    h, w, c = (int(v) for v in shape)
    return read_pictures(files, (h, w), "grayscale" if c == 1 else "rgb")


def score_frame(bundle, frame: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """``file``, ``prediction`` and each class's ``proba_<class>`` for a frame of ``file``
    and pixel columns (:func:`read_for`)."""
    pred = bundle.predict(frame.drop(columns="file"), threshold)
    keep = ["prediction"] + ([c for c in pred.columns if c.lstrip("_").startswith("proba_")]
                             if bundle.pre.task != "regression" else [])
    return pd.concat([frame[["file"]].reset_index(drop=True),
                      pred[keep].reset_index(drop=True)], axis=1)


def score_pictures(bundle, files: list[tuple[str, bytes]],
                   threshold: float | None = None) -> ScoredPictures:
    """Score pictures ``[(file name, bytes), …]`` with a picture run's bundle. Unreadable
    files are listed in ``failed``; when none is readable, DataError says why for each."""
    frame, failed = read_for(bundle, files)
    shape = tuple(int(v) for v in bundle.spec["data"]["image_shape"])
    scored = ScoredPictures(pd.DataFrame(), np.zeros((0, int(np.prod(shape)))), shape, failed)
    if not len(frame):
        raise DataError(scored.failed_text() or "No pictures were given.",
                        "Upload PNG or JPEG pictures, or a zip of them.")
    scored.table = score_frame(bundle, frame, threshold)
    scored.pixels = frame.drop(columns="file").to_numpy(dtype=float)
    return scored
