"""Build page: start from a trained model (one of the user's runs, or an uploaded .keras file).

The model is read on request (that imports Keras), its layers listed with their shapes and
weights; the first N come in with their weights, frozen or not, and the trained model's other
layers follow with fresh weights. Replacing a stack asks first; every step can be undone.
"""
from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from kwk.errors import KwkError
from kwk.ui.session import session
from kwk.ui.state import owner, show_error, store


def _runs() -> dict[str, dict]:
    return {r["id"]: r for r in store().list(owner())}


def _saved_upload(data: bytes) -> str:
    """An uploaded model kept in the workspace (``bases/``), so the spec and the script can
    name a file that stays."""
    d = store().root / "bases"
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{hashlib.sha256(data).hexdigest()[:16]}.keras"
    if not path.exists():
        path.write_bytes(data)
    return str(path)


def default_count(base) -> int:
    """How many layers to reuse by default: a convolutional or recurrent base up to the layer
    that flattens it, else every layer but the last (the old task's head)."""
    for i, b in enumerate(base.layers[:base.usable]):
        if b.keras_class == "Flatten" or b.keras_class.startswith("Global"):
            return i + 1
    return max(1, min(base.usable, len(base.layers) - 1))


def base_section(layers: list[dict]) -> None:
    """The "Start from a trained model" expander."""
    ss = session()
    with st.expander("♻️ Start from a trained model (transfer learning)",
                     expanded=ss.base is not None):
        st.caption("Reuse the layers of a model trained earlier — with what they learned — as "
                   "the base of this one, e.g. a picture model's convolutions for another "
                   "picture set. Frozen layers keep their weights; the layers after them learn.")
        src = st.radio("From", ["One of my runs", "A .keras file"], horizontal=True,
                       key="base_from")
        path = run = None
        if src == "One of my runs":
            try:
                runs = _runs()
            except KwkError as e:  # an unusable workspace: the rest of the page still works
                show_error(e)
                return
            if not runs:
                st.info("No trained model yet: train one first, or upload a .keras file.",
                        icon="📊")
            else:
                run = st.selectbox(
                    "Run", list(runs), key="base_run",
                    format_func=lambda i: f"{runs[i]['created'][:16].replace('T', ' ')} · "
                    f"{runs[i]['data_name']} · {runs[i]['task']}"
                    + (f" · {runs[i]['name']}" if runs[i].get("name") else ""))
                path = str(store().run_dir(run) / "model.keras")
        else:
            up = st.file_uploader("A Keras model file (.keras)", type=["keras"], key="base_file",
                                  help="Loaded in safe mode: files with custom code or Lambda "
                                  "layers are refused.")
            if up is not None:
                try:
                    path = _saved_upload(up.getvalue())
                except (KwkError, OSError) as e:
                    st.error(f"The file could not be kept in the workspace: {e}", icon="⚠️")
                    return
        if path and st.button("🔍 Read its layers", key="base_read",
                              disabled=ss.base is not None and ss.base.file == path):
            try:
                with st.spinner("Reading the model…"):
                    from kwk.model.transfer import read_base
                    ss.base = read_base(path, run=run)
            except KwkError as e:
                show_error(e)
        base = ss.base
        if base is None or (path and base.file != path):
            return
        _show_base(base, layers)


def _show_base(base, layers: list[dict]) -> None:
    ss = session()
    st.dataframe(pd.DataFrame([{
        "#": i + 1, "layer": b.name, "type": b.keras_class,
        "output shape": str(tuple(b.output_shape)) if b.output_shape else "",
        "weights": b.params, "reusable": "yes" if b.spec else f"no: {b.why}"}
        for i, b in enumerate(base.layers)]), hide_index=True, width="stretch")
    if not base.usable:
        st.warning("None of this model's layers can be reused: the first one is not one of "
                   "KwK's layers.", icon="⚠️")
        return
    c1, c2 = st.columns(2)
    n = c1.number_input("Reuse the first … layers", 1, base.usable, default_count(base),
                        key=f"base_count_{base.sha256[:8]}",
                        help="They come in with their trained weights. The trained model's "
                        "other layers follow, learning from scratch.")
    frozen = c2.toggle("Freeze them", value=True, key="base_frozen",
                       help="Frozen layers keep what they learned; only the layers after them "
                       "train. Unfreeze to fine-tune them too (use a small learning rate).")
    st.caption("Then add or change layers on top as usual; the output layer is always new.")
    if st.button("♻️ Use as the base of my network", key="base_use", type="primary"):
        from kwk.model.transfer import reuse
        try:
            new = reuse(base, int(n), trainable=not frozen) + [
                dict(b.spec) for b in base.layers[int(n):base.usable]]
        except KwkError as e:
            show_error(e)
            return
        if layers:
            ss.pending_base = new
        else:
            use_base(new)
        st.rerun()
    if ss.pending_base is not None:
        from kwk.ui.confirm import ask_to_replace
        ask_to_replace("pending_base", f"This replaces your {len(layers)} layer(s) with "
                       f"{len(ss.pending_base)} from the trained model. You can undo it "
                       "afterwards.", use_base, key="base")


def use_base(new: list[dict]) -> None:
    ss = session()
    ss.spec["layers"] = new
    ss.pending_base = None
    ss.selected_layer = 0
    ss.spec_version = ss.spec_version + 1
    ref = new[0]["weights"]
    ss.history_label = ("started from " + (f"run {ref['run']}" if ref.get("run")
                                             else "an uploaded model"))


def reuse_note(layer: dict) -> bool:
    """Inside the layer editor: where a reused layer's weights come from, freeze/unfreeze, and
    'Train from scratch'. Returns True when the layer changed (the page reruns)."""
    ref = layer.get("weights")
    if not ref:
        return False
    from kwk.model.transfer import describe_source
    frozen = layer.get("trainable") is False
    st.info(f"♻️ Starts from {describe_source(ref)} — "
            + ("**frozen**: its weights stay as trained." if frozen else
               "**fine-tuned**: its weights keep learning."), icon="♻️")
    c1, c2 = st.columns(2)
    if c1.button("🔓 Unfreeze (fine-tune)" if frozen else "🔒 Freeze", key="reuse_freeze",
                 width="stretch"):
        layer["trainable"] = frozen  # frozen -> trainable, and back
        return True
    if c2.button("🌱 Train from scratch", key="reuse_drop", width="stretch",
                 help="Keep this layer's settings but start from new random weights."):
        layer.pop("weights", None)
        layer.pop("trainable", None)
        return True
    return False
