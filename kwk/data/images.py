"""Images from a .zip with one folder of pictures per class, read safely in memory.

The archive is never extracted to disk. Before anything is decompressed, KwK refuses archives
with unsafe member names (absolute paths, ``..``), too many members, a declared total size over
``MAX_TOTAL_BYTES``, or a member whose compression ratio marks a zip bomb; each member is then
read with a hard cap, and Pillow's own pixel limit guards against image "decompression bombs".

The result is a table: one row per image, pixel columns ``px_0 … px_{h*w*c-1}`` (0–255) and a
``label`` column (the folder name). A zip whose class folders sit in ``train/`` and ``test/``
(or ``validation/``) folders also gets a ``split`` column (train / validation / test): the
user's split, which training uses (:func:`split_layout`, :func:`folder_split`).
``image_members`` and ``decode_image`` are copied verbatim
into generated scripts (see ``kwk.codegen``), so a script reads the zip exactly as KwK does.
"""
from __future__ import annotations

import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kwk.errors import DataError

MAX_MEMBERS = 50_000
MAX_TOTAL_BYTES = 1 << 30  # declared uncompressed size of all members
MAX_MEMBER_BYTES = 64 << 20
MAX_RATIO = 100  # uncompressed/compressed for members over 1 MB: a zip bomb
MAX_IMAGE_PIXELS = 40_000_000
MAX_INPUTS = 4096  # height × width × channels of the resized images


def image_members(names):
    """``[(member name, class label), …]`` for the pictures of a zip with one folder per class
    (optionally inside one common top folder). Skips folders, hidden files, macOS metadata and
    files that are not pictures."""
    exts = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
    picked = []
    for n in sorted(names):
        parts = [p for p in n.replace("\\", "/").split("/") if p]
        if (n.endswith("/") or not parts or parts[0] == "__MACOSX"
                or any(p.startswith(".") for p in parts) or not parts[-1].lower().endswith(exts)):
            continue
        picked.append((n, parts))
    tops = {tuple(parts[:1]) for _, parts in picked if len(parts) > 2}
    strip = 1 if len(tops) == 1 and all(len(parts) > 2 for _, parts in picked) else 0
    return [(n, parts[strip:][-2] if len(parts) - strip >= 2 else "") for n, parts in picked]


SPLIT_COLUMN = "split"  # the column a zip of train/ and test/ folders is split by
SPLIT_ATTR = "kwk_split"  # df.attrs: the folders' roles and counts (see folder_split)
SPLIT_FOLDERS = {"train": "train", "training": "train", "valid": "validation",
                 "validation": "validation", "val": "validation", "test": "test",
                 "testing": "test"}
HELD_OUT = 0.15  # share of the train folder kept for validation when no validation folder


def split_layout(names) -> dict[str, str] | None:
    """``{member name: "train" | "validation" | "test"}`` when the pictures of a zip sit in
    split folders that each hold class folders (``train/cat/1.png``, ``test/dog/9.png``),
    optionally inside one common top folder; a train folder and at least one other split
    folder (names: :data:`SPLIT_FOLDERS`, any case). Else None: the zip is not split."""
    members = [n for n, _ in image_members(names)]
    parts = {n: [p for p in n.replace("\\", "/").split("/") if p] for n in members}
    if not parts:
        return None
    tops = {p[0] for p in parts.values()}
    if (len(tops) == 1 and all(len(p) == 4 for p in parts.values())
            and next(iter(tops)).lower() not in SPLIT_FOLDERS):
        parts = {n: p[1:] for n, p in parts.items()}
    if not all(len(p) == 3 and p[0].lower() in SPLIT_FOLDERS for p in parts.values()):
        return None
    roles = {n: SPLIT_FOLDERS[p[0].lower()] for n, p in parts.items()}
    found = set(roles.values())
    return roles if "train" in found and len(found) > 1 else None


def folder_split(df: pd.DataFrame) -> dict | None:
    """The split of a zip read from train/ and test/ folders (:func:`read_image_zip`), else
    None: ``column`` (the split column, never a model input), ``folders`` (pictures per split
    folder, by role), ``held_out`` (train pictures kept for a split the zip has no folder for,
    by role), ``unseen`` (classes with test or validation pictures but none to train on)."""
    info = df.attrs.get(SPLIT_ATTR)
    if info and info.get("column") in df.columns:
        return info
    # the same table without its attrs (a kept session read back): its column says it
    col = SPLIT_COLUMN
    if col not in df.columns or "label" not in df.columns or "px_0" not in df.columns:
        return None
    roles = df[col].astype(str)
    if not roles.isin(["train", "validation", "test"]).all() or "train" not in set(roles):
        return None
    train = set(df.loc[roles == "train", "label"].astype(str))
    found = [r for r in ("train", "validation", "test") if (roles == r).any()]
    return {"column": col, "folders": {r: int((roles == r).sum()) for r in found},
            "held_out": {}, "unseen": sorted(set(df["label"].astype(str)) - train)}


def with_folder_split(spec: dict, df: pd.DataFrame) -> dict:
    """``spec`` with the split of a zip of train/ and test/ folders (:func:`folder_split`)
    when it says nothing of its own: ``data.validation_column`` is the split column and
    ``training.validation`` is ``"column"``. "Nothing" is no validation column and no
    ``training.validation`` or the default ``"holdout"`` (a spec read by ``kwk.spec.loads``
    already holds the defaults); k-fold or another validation column is kept. Otherwise
    unchanged."""
    split = folder_split(df) if isinstance(spec, dict) and isinstance(df, pd.DataFrame) else None
    if split is None:
        return spec
    data, training = spec.get("data") or {}, spec.get("training") or {}
    if (not isinstance(data, dict) or not isinstance(training, dict)
            or data.get("validation_column")
            or training.get("validation", "holdout") != "holdout"):
        return spec
    return {**spec, "data": {**data, "validation_column": split["column"]},
            "training": {**training, "validation": "column"}}


def _hold_out(roles: list[str], labels: list[str]) -> dict[str, int]:
    """Roles the zip has no folder for (validation, test) take a seeded share of each class's
    train pictures (:data:`HELD_OUT`, at least one where a class has two or more), in place.
    Returns how many pictures each took."""
    missing = [r for r in ("validation", "test") if r not in roles]
    taken = {r: 0 for r in missing}
    if not missing:
        return taken
    rng = np.random.default_rng(0)
    lab = np.asarray(labels, dtype=object)
    train = np.flatnonzero(np.asarray(roles, dtype=object) == "train")
    for cls in sorted(set(lab[train])):
        rows = rng.permutation(train[lab[train] == cls])
        k = max(1, int(round(HELD_OUT * len(rows)))) if len(rows) >= 2 * len(missing) + 1 else 0
        for i, r in enumerate(missing):
            for j in rows[i * k:(i + 1) * k]:
                roles[j] = r
            taken[r] += len(rows[i * k:(i + 1) * k])
    return taken


def decode_image(raw, size, color):
    """Pixels (height, width, channels) as uint8 for one picture, resized to ``size``
    (height, width) in ``color`` ("grayscale" or "rgb")."""
    from PIL import Image
    with Image.open(io.BytesIO(raw)) as im:
        im = im.convert("L" if color == "grayscale" else "RGB")
        if im.size != (size[1], size[0]):
            im = im.resize((size[1], size[0]), Image.BILINEAR)
        a = np.asarray(im, dtype=np.uint8)
    return a[:, :, None] if a.ndim == 2 else a


def unsafe_name(name: str) -> bool:
    """A zip member's name that would leave the folder it is read into (an absolute path, a
    drive, or ``..``)."""
    n = name.replace("\\", "/")
    return n.startswith("/") or (len(n) > 1 and n[1] == ":") or ".." in n.split("/")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    cap = min(info.file_size, MAX_MEMBER_BYTES)
    with zf.open(info) as f:
        raw = f.read(cap + 1)
    if len(raw) > cap:
        raise DataError(f"'{info.filename}' in the zip is larger than it claims or than "
                        f"{MAX_MEMBER_BYTES >> 20} MB.", "Upload smaller pictures.")
    return raw


def _default_size(sizes: Counter, channels: int) -> tuple[int, int]:
    (w, h), _ = sizes.most_common(1)[0]
    if h * w * channels > MAX_INPUTS:
        f = (MAX_INPUTS / (h * w * channels)) ** 0.5
        h, w = max(1, int(h * f)), max(1, int(w * f))
    return h, w


def _open_zip(data: bytes, name: str):
    """The zip and its file members, after the safety checks (before anything is
    decompressed): unsafe paths, too many members, too large in all, zip bombs."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise DataError(f"'{name}' is not a readable zip archive ({e}).",
                        "Zip one folder of pictures per class and upload that file.")
    if len(infos) > MAX_MEMBERS:
        raise DataError(f"'{name}' holds {len(infos):,} files; KwK reads up to {MAX_MEMBERS:,}.",
                        "Upload a smaller sample of the pictures.")
    bad = [i.filename for i in infos if unsafe_name(i.filename)]
    if bad:
        raise DataError(f"'{name}' contains unsafe file paths (e.g. '{bad[0][:80]}').",
                        "KwK refuses archives with absolute paths or '..'; zip the class "
                        "folders themselves.")
    total = sum(i.file_size for i in infos)
    bomb = [i for i in infos if i.file_size > (1 << 20)
            and i.file_size > MAX_RATIO * max(i.compress_size, 1)]
    if bomb or total > MAX_TOTAL_BYTES:
        what = (f"'{bomb[0].filename}' would expand {bomb[0].file_size // max(bomb[0].compress_size, 1)}"
                "-fold (a zip bomb?)") if bomb else f"its files add up to {total / 2**30:.1f} GB"
        raise DataError(f"'{name}' was not opened: {what}.",
                        f"KwK reads image archives of up to {MAX_TOTAL_BYTES >> 30} GB "
                        "uncompressed, with ordinary compressed pictures (PNG or JPEG).")
    return zf, infos


def read_image_zip(data: bytes, name: str, fingerprint: str, size=None, color=None):
    """Read a zip of class folders. Returns a :class:`kwk.data.loaded.LoadedData` whose frame
    holds the pixels and the labels, with ``image_shape`` set. Raises DataError otherwise.

    The stages: the members checked (class folders, at least two), each picture's header read
    (:func:`_scan_pictures`: sizes, colour, unreadable files), the size and colour decided,
    every picture decoded to that size (:func:`_decode_pictures`), the ``train/`` ``test/``
    folders marked as the split (:func:`_mark_split`) and the notes written."""
    from kwk.data.loaded import LoadedData
    zf, infos = _open_zip(data, name)
    members = image_members([i.filename for i in infos])
    _check_members(members, name)
    layout = split_layout([i.filename for i in infos])
    scan = _scan_pictures(zf, {i.filename: i for i in infos}, members, name)
    color = color or ("grayscale" if scan.gray else "rgb")
    channels = 1 if color == "grayscale" else 3
    size = tuple(size) if size else _default_size(scan.sizes, channels)
    if size[0] * size[1] * channels > MAX_INPUTS * 4:
        raise DataError(f"Images of {size[0]}×{size[1]}×{channels} are too large for a table model.",
                        f"Choose a smaller size (at most {MAX_INPUTS * 4:,} values per image).")
    flat, kept, kept_roles = _decode_pictures(scan, size, color, layout, name)
    df = pd.DataFrame(flat, columns=[f"px_{i}" for i in range(flat.shape[1])])
    df["label"] = kept
    if layout:
        _mark_split(df, kept, kept_roles)
    notes = []
    if scan.failed:
        notes.append(f"{len(scan.failed)} file(s) could not be read as pictures and were "
                     "skipped: " + "; ".join(scan.failed[:10])
                     + (" …" if len(scan.failed) > 10 else "") + ".")
    if len(scan.sizes) > 1:
        notes.append(f"The pictures come in {len(scan.sizes)} sizes; all were resized to "
                     f"{size[0]}×{size[1]}.")
    return LoadedData(df=df, name=name, fmt="images",
                      read_options={"size": [int(size[0]), int(size[1])], "color": color},
                      fingerprint=fingerprint, n_bytes=len(data),
                      image_shape=(int(size[0]), int(size[1]), channels), notes=notes)


def _check_members(members: list[tuple[str, str]], name: str) -> None:
    """A zip of pictures needs pictures, each inside a class folder, and two classes."""
    if not members:
        raise DataError(f"'{name}' contains no pictures (PNG, JPEG, BMP, GIF, WebP, TIFF) and "
                        "no CSV or JSON table.",
                        "Zip one folder of pictures per class, e.g. cats/1.png, dogs/7.jpg, or "
                        "zip a single CSV table.")
    if any(label == "" for _, label in members):
        raise DataError(f"Some pictures in '{name}' are not inside a class folder.",
                        "Put the pictures of each class in a folder named after the class.")
    classes = Counter(label for _, label in members)
    if len(classes) < 2:
        raise DataError(f"'{name}' has a single class folder ('{next(iter(classes))}').",
                        "A classifier needs at least two folders, one per class.")


@dataclass
class _Scan:
    """The pictures whose header reads: their bytes, labels and member names; how many of each
    size; whether all are grey; the files that failed, each with its reason."""
    raws: list[bytes] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    sizes: Counter = field(default_factory=Counter)
    gray: bool = True
    failed: list[str] = field(default_factory=list)


def _scan_pictures(zf, by_name: dict, members: list[tuple[str, str]], name: str) -> _Scan:
    """Read each member's header (size, mode), refusing a decompression bomb."""
    import warnings

    from PIL import Image
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    scan = _Scan()
    for n, label in members:
        raw = _read_member(zf, by_name[n])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(raw)) as im:
                    scan.sizes[im.size] += 1
                    scan.gray = scan.gray and im.mode in ("1", "L", "LA", "I", "I;16", "F")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DataError(f"'{n}' in '{name}' is a picture of over {MAX_IMAGE_PIXELS:,} pixels.",
                            "Shrink the pictures before zipping them.")
        except Exception as e:  # Pillow raises many types for broken files
            scan.failed.append(f"{n} ({unreadable_reason(e)})")
            continue
        scan.raws.append(raw)
        scan.labels.append(label)
        scan.names.append(n)
    if not scan.raws:
        raise DataError(f"None of the {len(members)} files in '{name}' could be read as a "
                        f"picture (e.g. {scan.failed[0]}).",
                        "Check the files are real PNG or JPEG pictures.")
    return scan


def _decode_pictures(scan: _Scan, size, color: str, layout: dict | None,
                     name: str) -> tuple[np.ndarray, list[str], list]:
    """Every scanned picture decoded at ``size`` in ``color``, one row of pixels each, with
    its label and its split folder (None without ``train/`` ``test/`` folders). A picture
    whose header read but whose data is truncated is added to ``scan.failed``."""
    pixels, kept, kept_roles = [], [], []
    for raw, label, n in zip(scan.raws, scan.labels, scan.names):
        try:
            pixels.append(decode_image(raw, size, color).reshape(-1))
        except Exception as e:
            scan.failed.append(f"{n} ({unreadable_reason(e)})")
            continue
        kept.append(label)
        kept_roles.append(layout[n] if layout else None)
    if not pixels:
        raise DataError(f"None of the pictures in '{name}' could be decoded (e.g. "
                        f"{scan.failed[0]}).", "Check the files are real PNG or JPEG pictures.")
    return np.stack(pixels), kept, kept_roles


def _mark_split(df: pd.DataFrame, kept: list[str], kept_roles: list[str]) -> None:
    """The ``train/`` ``validation/`` ``test/`` folders as the frame's split column, and what
    the split holds (``df.attrs[SPLIT_ATTR]``): pictures per folder, the held-out pictures of
    each class, and the classes with no train pictures."""
    folders = dict(Counter(kept_roles))
    held = _hold_out(kept_roles, kept)
    train = set(l for l, r in zip(kept, kept_roles) if r == "train")
    df[SPLIT_COLUMN] = kept_roles
    df.attrs[SPLIT_ATTR] = {
        "column": SPLIT_COLUMN,
        "folders": {r: int(folders[r]) for r in ("train", "validation", "test") if r in folders},
        "held_out": {r: int(k) for r, k in held.items()},
        "unseen": sorted(set(kept) - train)}


# --------------------------------------------------------------------------- new pictures
PICTURE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")


def unreadable_reason(e: BaseException) -> str:
    """Why Pillow could not read a file, in words (never just the exception's type)."""
    from PIL import UnidentifiedImageError
    text = str(e).lower()
    if isinstance(e, UnidentifiedImageError):
        return "not a picture: its contents are not PNG, JPEG or another picture format"
    if "truncated" in text or isinstance(e, EOFError) or "end of file" in text:
        return "the picture is cut off: the file ends before the picture does"
    if isinstance(e, (SyntaxError, ValueError, OSError, IndexError, KeyError, TypeError)):
        return f"the picture's data is damaged ({str(e) or 'unreadable'})"
    return f"the picture could not be decoded ({str(e) or type(e).__name__})"


def is_picture_bytes(data: bytes) -> bool:
    """Whether ``data`` starts like a picture file (PNG, JPEG, GIF, BMP, TIFF, WebP)."""
    return data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def picture_files(data: bytes, name: str) -> list[tuple[str, bytes]]:
    """The pictures to score from one upload: ``[(file name, bytes), …]``. ``data`` is one
    picture, or a zip of pictures at any depth, with or without class folders (the file name
    is the path inside the zip). A zip is checked as :func:`read_image_zip` checks one (unsafe
    paths, member count, total size, zip bombs). Raises DataError for anything else."""
    if data[:4] == b"PK\x03\x04" or name.lower().endswith(".zip"):
        zf, infos = _open_zip(data, name)
        members = [n for n, _ in image_members([i.filename for i in infos])]
        if not members:
            raise DataError(f"'{name}' contains no pictures (PNG, JPEG, BMP, GIF, WebP, TIFF).",
                            "Zip the pictures to score, in folders or not.")
        by_name = {i.filename: i for i in infos}
        return [(n, _read_member(zf, by_name[n])) for n in members]
    if is_picture_bytes(data) or name.lower().endswith(PICTURE_EXTS):
        return [(name, data)]
    raise DataError(f"'{name}' is not a picture: KwK scores PNG or JPEG files, or a .zip of them.",
                    "Upload the pictures themselves, or zip them (in class folders or not).")


def read_pictures(files: list[tuple[str, bytes]], size, color) -> tuple[pd.DataFrame, list]:
    """New pictures for a trained picture model, each resized to ``size`` (height, width) in
    ``color`` ("grayscale" or "rgb") exactly as :func:`read_image_zip` read the training
    pictures (:func:`decode_image`). Returns ``(frame, failed)``: the frame holds ``file``
    then the pixel columns ``px_0 …``, one row per readable picture in the given order;
    ``failed`` lists ``(file name, reason in words)`` for the rest."""
    from PIL import Image
    import warnings
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    channels = 1 if color == "grayscale" else 3
    n_px = int(size[0]) * int(size[1]) * channels
    names, pixels, failed = [], [], []
    for n, raw in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                pixels.append(decode_image(raw, size, color).reshape(-1))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            failed.append((n, f"a picture of over {MAX_IMAGE_PIXELS:,} pixels"))
            continue
        except Exception as e:  # Pillow raises many types for broken files
            failed.append((n, unreadable_reason(e)))
            continue
        names.append(n)
    flat = np.stack(pixels) if pixels else np.zeros((0, n_px), dtype=np.uint8)
    df = pd.DataFrame(flat, columns=[f"px_{i}" for i in range(n_px)])
    df.insert(0, "file", names)
    return df, failed
