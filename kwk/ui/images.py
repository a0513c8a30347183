"""Picture datasets on screen: class counts and a few example images per class."""
from __future__ import annotations

import numpy as np
import streamlit as st

from kwk.data.loader import LoadedData


def pixels_to_images(rows: np.ndarray, shape: tuple) -> np.ndarray:
    """Pixel rows (n, h*w*c) -> uint8 images (n, h, w) or (n, h, w, 3) for display."""
    imgs = np.clip(rows, 0, 255).astype(np.uint8).reshape((len(rows),) + tuple(shape))
    return imgs[..., 0] if shape[-1] == 1 else imgs


def image_gallery(ld: LoadedData, label: str = "label", per_class: int = 6,
                  max_classes: int = 12) -> None:
    h, w, c = ld.image_shape
    counts = ld.df[label].value_counts().sort_index()
    st.markdown(f"**{len(ld.df):,} pictures in {len(counts)} classes**, each {h}×{w} "
                f"{'grayscale' if c == 1 else 'colour'}.")
    st.bar_chart(counts, height=180, x_label="class", y_label="pictures")
    px = [col for col in ld.df.columns if col.startswith("px_")]
    for cls in list(counts.index)[:max_classes]:
        rows = ld.df.loc[ld.df[label] == cls, px].head(per_class).to_numpy()
        cols = st.columns([1] + [1] * per_class, vertical_alignment="center")
        cols[0].markdown(f"**{cls}**  \n{counts[cls]:,}")
        for slot, img in zip(cols[1:], pixels_to_images(rows, (h, w, c))):
            slot.image(img, width=72, clamp=True)
    if len(counts) > max_classes:
        st.caption(f"Examples of the first {max_classes} classes are shown.")
