"""Picture datasets on screen: class counts and a few example images per class."""
from __future__ import annotations

import numpy as np
import streamlit as st

from kwk.data.loader import LoadedData


def pixels_to_images(rows: np.ndarray, shape: tuple) -> np.ndarray:
    """Pixel rows (n, h*w*c) -> uint8 images (n, h, w) or (n, h, w, 3) for display."""
    imgs = np.clip(rows, 0, 255).astype(np.uint8).reshape((len(rows),) + tuple(shape))
    return imgs[..., 0] if shape[-1] == 1 else imgs


def image_gallery(ld: LoadedData, label: str | None = None, per_class: int = 6,
                  max_classes: int = 12) -> None:
    h, w, c = ld.image_shape
    if label is None or label not in ld.df.columns:
        others = [col for col in map(str, ld.df.columns) if not col.startswith("px_")]
        if not others:
            return
        label = "label" if "label" in others else others[-1]
    counts = ld.df[label].value_counts().sort_index()
    st.markdown(f"**{len(ld.df):,} pictures in {len(counts)} classes**, each {h}×{w} "
                f"{'grayscale' if c == 1 else 'colour'}.")
    st.bar_chart(counts, height=180, x_label="class", y_label="pictures")
    px = [col for col in ld.df.columns if str(col).startswith("px_")]
    for cls in list(counts.index)[:max_classes]:
        rows = ld.df.loc[ld.df[label] == cls, px].head(per_class).to_numpy()
        cols = st.columns([1] + [1] * per_class, vertical_alignment="center")
        cols[0].markdown(f"**{cls}**  \n{counts[cls]:,}")
        for slot, img in zip(cols[1:], pixels_to_images(rows, (h, w, c))):
            slot.image(img, width=72, clamp=True)
    if len(counts) > max_classes:
        st.caption(f"Examples of the first {max_classes} classes are shown.")


def misclassified_gallery(df, rows, features: list[str], shape: tuple, truth: list, pred: list,
                          conf: list, limit: int = 24, per_row: int = 8) -> None:
    """The test pictures the model got wrong, each with its true and predicted class."""
    if len(rows) == 0:
        st.success("Every test picture was classified correctly.", icon="🎯")
        return
    st.caption(f"{len(rows):,} of the test pictures were misclassified"
               + (f"; the {limit} the model was most sure about are shown." if len(rows) > limit
                  else "."))
    order = np.argsort(-np.asarray(conf))[:limit]
    imgs = pixels_to_images(df.iloc[np.asarray(rows)[order]][features].to_numpy(dtype=float),
                            shape)
    for start in range(0, len(order), per_row):
        cols = st.columns(per_row)
        for slot, k, img in zip(cols, order[start:start + per_row], imgs[start:start + per_row]):
            slot.image(img, width=64, clamp=True)
            slot.caption(f"true **{truth[k]}**  \npredicted **{pred[k]}** ({conf[k]:.0%})")
