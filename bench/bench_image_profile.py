"""Upload → profile of a zip of 450 small pictures (3 class folders, 28–32 px drawn shapes): the
pictures' profile (kwk.data.image_profile) against the table profile of the same pixel columns
(one card, warnings and correlations per pixel: what the Data page did before), in the same run.

Run: python bench/bench_image_profile.py [pictures per class]. Prints the times and the ratio
and appends them to bench/RESULTS.md.
"""
import io
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import record  # noqa: E402

import numpy as np  # noqa: E402


def shapes_zip(per_class: int = 150, seed: int = 0) -> bytes:
    """A zip of grey PNG pictures, 28–32 px, one folder per class (circle, square, triangle)."""
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for cls in ("circle", "square", "triangle"):
            for i in range(per_class):
                side = int(rng.integers(28, 33))
                im = Image.new("L", (side, side), int(rng.integers(0, 40)))
                d = ImageDraw.Draw(im)
                a, b = int(rng.integers(2, 8)), side - int(rng.integers(2, 8))
                ink = int(rng.integers(150, 256))
                if cls == "circle":
                    d.ellipse([a, a, b, b], outline=ink, width=2)
                elif cls == "square":
                    d.rectangle([a, a, b, b], outline=ink, width=2)
                else:
                    d.polygon([(side // 2, a), (a, b), (b, b)], outline=ink)
                png = io.BytesIO()
                im.save(png, format="PNG")
                zf.writestr(f"shapes/{cls}/{i:03d}.png", png.getvalue())
    return buf.getvalue()


def best(f, n=3):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return min(out)


def main(per_class: int = 150) -> None:
    from kwk.data import load
    from kwk.data.profile import profile, profile_table
    data = shapes_zip(per_class)
    t_load = best(lambda: load(data, name="shapes.zip"), 1)
    ld = load(data, name="shapes.zip")
    old = best(lambda: profile_table(ld.df, name=ld.name), 2)
    new = best(lambda: profile(ld.df, name=ld.name, image_shape=ld.image_shape, notes=ld.notes))
    n_old = len(profile_table(ld.df, name=ld.name)["warnings"])
    n_new = len(profile(ld.df, name=ld.name, image_shape=ld.image_shape)["warnings"])
    h, w, c = ld.image_shape
    record(f"upload→profile of a zip of {len(ld.df)} pictures ({len(data) // 1024} KB, {h}×{w}×{c}):"
           " picture profile vs the table profile of its pixel columns",
           f"read {t_load:.2f}s; table profile {old:.2f}s ({n_old} warnings); picture profile "
           f"{new:.3f}s ({n_new} warnings)",
           f"**{old / new:.0f}x** faster; upload→profile {(t_load + old) / (t_load + new):.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
