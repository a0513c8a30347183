"""Picture datasets on screen: their profile (classes, size, duplicates, blanks) with a few
example pictures per class, and the misclassified test pictures."""
from __future__ import annotations

import numpy as np
import streamlit as st

from kwk.data.loader import LoadedData


def pixels_to_images(rows: np.ndarray, shape: tuple) -> np.ndarray:
    """Pixel rows (n, h*w*c) -> uint8 images (n, h, w) or (n, h, w, 3) for display."""
    imgs = np.clip(rows, 0, 255).astype(np.uint8).reshape((len(rows),) + tuple(shape))
    return imgs[..., 0] if shape[-1] == 1 else imgs


def enlarge(img: np.ndarray, px: int) -> np.ndarray:
    """A small picture repeated pixel by pixel to at least ``px`` wide, so the browser shows
    sharp pixels instead of a blur."""
    f = max(1, -(-px // img.shape[1]))
    return np.repeat(np.repeat(img, f, axis=0), f, axis=1)


def adopt_folder_split(ld: LoadedData) -> None:
    """After new data: a zip of train/ and test/ folders (:func:`kwk.data.images.folder_split`)
    trains on its own split: the session's validation column is its split column and
    validation is "column" (the Train page shows both). Other data that finds validation
    "column" with no column left (new_data clears it) goes back to the default holdout."""
    from kwk.data.images import folder_split
    from kwk.ui.session import session
    ss = session()
    split = folder_split(ld.df)
    training = ss.spec.setdefault("training", {})
    if split is not None:
        ss.validation_column = split["column"]
        training["validation"] = "column"
        for key in (f"tr{ss.spec_version}_validation", "validation_column_select"):
            st.session_state.pop(key, None)  # a Train page widget seen before would win
    elif training.get("validation") == "column" and ss.validation_column is None:
        training["validation"] = "holdout"


def picture_predictions(table, frame, shape: tuple, failed: list, limit: int = 48,
                        per_row: int = 6, px: int = 120) -> None:
    """Predict page, a picture run: each scored picture as a thumbnail with its file name,
    predicted class and probability (``table``: file, prediction, proba_<class> …;
    ``frame``: file and pixel columns, same order), and the files that could not be read."""
    from kwk.evaluation.pictures import failed_text
    if failed:
        st.warning(failed_text(failed), icon="🖼️")
    probs = table[[c for c in table.columns if c.lstrip("_").startswith("proba_")]]
    imgs = pixels_to_images(frame.drop(columns="file").head(limit).to_numpy(dtype=float), shape)
    n = min(limit, len(table))
    for start in range(0, n, per_row):
        cols = st.columns(per_row)
        for slot, i in zip(cols, range(start, min(start + per_row, n))):
            slot.image(enlarge(imgs[i], px), width=px, clamp=True)
            p = f" ({probs.iloc[i].max():.0%})" if probs.shape[1] else ""
            slot.caption(f"`{table['file'].iloc[i]}`  \n**{table['prediction'].iloc[i]}**{p}")
    if len(table) > limit:
        st.caption(f"The first {limit} of {len(table):,} pictures are shown; the table and the "
                   "download hold all of them.")


def picture_profile(ld: LoadedData, prof: dict, per_class: int = 6, max_classes: int = 12) -> None:
    """The Data page's profile of pictures (``prof["images"]``, kwk.data.image_profile): size
    and colour, pictures per class, brightness and contrast per class, duplicates and blanks,
    and a few pictures of each class."""
    import pandas as pd
    info = prof["images"]
    h, w, c = info["shape"]
    classes = info["classes"]
    st.markdown(f"**{prof['rows']:,} pictures in {len(classes)} classes**, each {h}×{w} "
                f"{'grayscale' if c == 1 else 'colour'}"
                + (" (size guessed from the number of pixels)" if info["shape_guessed"] else "")
                + f"; pixel values {info['value_range'][0]:g}–{info['value_range'][1]:g}.")
    m = st.columns(4)
    m[0].metric("Pictures", f"{prof['rows']:,}")
    m[1].metric("Classes", len(classes))
    m[2].metric("Duplicate pictures", f"{info['duplicates']['repeated']:,}",
                help="Pictures identical to an earlier one, pixel for pixel (within a class or "
                     "in another class).")
    m[3].metric("Near-blank pictures", f"{info['blank']['count']:,}",
                help="Pictures of almost a single colour.")
    if info.get("split"):  # a zip of train/ and test/ folders: training uses that split
        st.info(info["split"]["text"], icon="🗂️")
    if prof["warnings"]:
        n_w = len(prof["warnings"])
        with st.expander(f"⚠️ {n_w} {'thing' if n_w == 1 else 'things'} to know about these "
                         "pictures", expanded=True):
            for wng in prof["warnings"]:
                st.markdown(f"- {wng['message']}")
    if not classes:
        return
    table = pd.DataFrame([{"class": k["label"], "pictures": k["pictures"],
                           "share %": round(100 * k["share"], 1),
                           "brightness": round(k["brightness_mean"], 1),
                           "brightness sd": round(k["brightness_sd"], 1),
                           "contrast": round(k["contrast_mean"], 1)} for k in classes])
    left, right = st.columns([3, 2], gap="medium")
    with left:
        st.bar_chart(table.set_index("class")["pictures"], height=200, x_label="class",
                     y_label="pictures")
    with right:
        st.dataframe(table, hide_index=True, width="stretch", key="picture_classes")
        st.caption("Brightness: a picture's mean pixel value; contrast: the spread (standard "
                   "deviation) of its pixels; both averaged over the class.")
    label, px = info["label"], [col["name"] for col in prof["columns_info"] if col.get("pixel")]
    for k in classes[:max_classes]:
        rows = ld.df.loc[ld.df[label].astype(str) == k["label"], px].head(per_class).to_numpy()
        cols = st.columns([1] + [1] * per_class, vertical_alignment="center")
        cols[0].markdown(f"**{k['label']}**  \n{k['pictures']:,}")
        for slot, img in zip(cols[1:], pixels_to_images(rows, (h, w, c))):
            slot.image(img, width=72, clamp=True)
    if len(classes) > max_classes:
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
