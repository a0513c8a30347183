"""In Chromium (issue 35, items 1 and 3): after training on a zip of 300 small pictures in 3
class folders, Evaluate is drawn and idle while the heat-maps are computed in the background,
the maps fill in, the session keeps its data, and Predict scores a zip of loose pictures with
their file names."""
import io
import time
import zipfile

import numpy as np
import pytest
from browser_util import nav, open_tab, shot, wait_idle, wait_saved

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def shapes_zip(path, n_per_class=100, size=28, seed=0, folders=True):
    """Circles, squares and crosses (jittered, noisy) as PNGs, one folder per class."""
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for cls in ("circle", "square", "cross"):
            for i in range(n_per_class):
                im = Image.new("L", (size, size), 0)
                d = ImageDraw.Draw(im)
                r = int(rng.integers(5, 10))
                cx, cy = (int(v) for v in rng.integers(r + 1, size - r - 1, 2))
                box = [cx - r, cy - r, cx + r, cy + r]
                if cls == "circle":
                    d.ellipse(box, outline=255, width=2)
                elif cls == "square":
                    d.rectangle(box, outline=255, width=2)
                else:
                    d.line(box, fill=255, width=2)
                    d.line([cx - r, cy + r, cx + r, cy - r], fill=255, width=2)
                a = np.asarray(im, dtype=float) + rng.normal(0, 40, (size, size))
                b = io.BytesIO()
                Image.fromarray(a.clip(0, 255).astype(np.uint8)).save(b, "PNG")
                z.writestr(f"{cls}/{i}.png" if folders else f"new/{cls[:2]}_{i}.png",
                           b.getvalue())
    path.write_bytes(buf.getvalue())
    return path


def _upload(page, path, label=None) -> None:
    with page.expect_file_chooser() as fc:
        zone = page.locator("section[data-testid=stFileUploaderDropzone] button:visible")
        zone.first.click()
    fc.value.set_files(str(path))


_HEAT = ("() => { const t = document.body.textContent;"
         " return t.includes('Where the model looked') && !t.includes('heat-map to come'); }")


def evaluate_after_training(page, app_url, tmp_path) -> dict:
    """Upload -> target -> train -> Evaluate; returns the seconds from opening Evaluate to an
    idle page with its metrics and confusion matrix, and to the heat-maps drawn."""
    z = shapes_zip(tmp_path / "shapes.zip")
    page.goto(app_url)
    wait_idle(page)
    _upload(page, z)
    page.wait_for_function(
        "() => document.body.innerText.includes('300 pictures in 3 classes')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=180_000)
    nav(page, "Target")
    wait_idle(page)
    nav(page, "Build")
    wait_idle(page)
    nav(page, "Train")
    ep = page.get_by_label("epochs", exact=True)
    ep.fill("3")
    ep.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Start training").click()
    wait_saved(page, 300)
    wait_idle(page, 120)
    t0 = time.monotonic()
    nav(page, "Evaluate")
    page.get_by_text("Confusion matrix").first.wait_for()
    wait_idle(page)
    idle = time.monotonic() - t0
    shot(page, "pics_evaluate_idle")
    open_tab(page, "Charts")
    page.wait_for_function(_HEAT, timeout=300_000)
    heat = time.monotonic() - t0
    wait_idle(page)
    page.get_by_text("Where the model looked").first.scroll_into_view_if_needed()
    shot(page, "pics_evaluate_heatmaps")
    return {"idle_s": idle, "heatmaps_s": heat}


def test_pictures_evaluate_idle_then_heatmaps_and_predict_by_name(page, app_url, tmp_path):
    t = evaluate_after_training(page, app_url, tmp_path)
    print(f"Evaluate idle after {t['idle_s']:.1f} s; heat-maps after {t['heatmaps_s']:.1f} s")
    nav(page, "Data")  # the session kept its data
    page.get_by_text("300 pictures in 3 classes").first.wait_for()
    nav(page, "Predict & export")
    loose = shapes_zip(tmp_path / "loose.zip", n_per_class=4, seed=9, folders=False)
    _upload(page, loose)
    page.get_by_text("new/ci_0.png").first.wait_for(timeout=120_000)
    wait_idle(page)
    page.get_by_text("new/ci_0.png").first.scroll_into_view_if_needed()
    shot(page, "pics_predict")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download predictions (CSV)").click()
    head = dl.value.path().read_text().splitlines()[0]
    assert head.startswith("file,prediction,proba_")
