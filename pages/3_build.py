"""Build: stack layers like LEGO bricks; live shapes, parameters, diagram and Keras code."""
import copy
import json

import pandas as pd
import streamlit as st

from kwk.codegen import model_code
from kwk.catalog.layers import CATALOG
from kwk.catalog.presets import BRANCH_MODALITY, MIXED, TEMPLATES, layers_for, templates_for
from kwk.errors import SpecError
from kwk.plots import network_diagram
from kwk.spec import check_stack, dumps, loads, output_units
from kwk.spec.history import MODEL_KEYS, start_label
from kwk.spec.templates import stack_words, suggest_template, which_template
from kwk.ui import words
from kwk.ui.forms import params_form
from kwk.ui import lazytabs
from kwk.ui.model_info import try_stack_info
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import session
from kwk.ui.confirm import ask_to_replace
from kwk.ui.state import (apply_spec, need_target, session_spec, show_error,
                          template_stacks)
from kwk.ui.transfer import base_section, reuse_note
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()

ss = session()
st.title("🧱 Build the network")
if not need_target():
    stop_page()

# Every edit, wherever it was made (here, Train's options, a search's best network), is
# recorded when this page runs; undo/redo restore the model part of the spec.
# After new data the first entry says where the stack came from ("kept the stack from
# iris.csv (9 layers)"), not a bare "start".
first = start_label(ss.stack_from, ss.spec) if ss.history.cursor < 0 else None
ss.history.observe({**ss.spec, "modality": ss.modality}, label=ss.history_label or first)
ss.history_label = None
# A table with a text column or pictures: one stack per branch and the layers after the merge;
# the editor below works on the part chosen.
mixed = ss.modality in MIXED and bool(ss.spec.get("branches"))
PART_LABELS = {"table": "📋 Table branch", "text": "📝 Text branch", "image": "🖼️ Image branch",
               "head": "⤵️ After the merge"}
parts = [*ss.spec["branches"], "head"] if mixed else ["head"]
part = ss.build_part if ss.build_part in parts else parts[0]
layers = ss.spec["layers"] if part == "head" else ss.spec["branches"][part]


def label(i: int, layer: dict) -> str:
    lt = layer["type"]
    positional = CATALOG[lt].positional if lt in CATALOG else ()
    main = {"Dense": lambda l: f"{l.get('units')}, {l.get('activation')}",
            "Activation": lambda l: l.get("activation"),
            "GaussianNoise": lambda l: f"σ={l.get('stddev')}",
            "Bidirectional": lambda l: f"{l.get('layer')} {l.get('units')}",
            "TimeDistributed": lambda l: f"Dense {l.get('units')}"}.get(
        lt, lambda l: ", ".join("auto" if l.get(p) is None else str(l.get(p)) for p in positional)
        if positional else f"{l['rate']}" if "rate" in l else "")(layer)
    marks = ("♻️" if layer.get("weights") else "") + ("🔒" if layer.get("trainable") is False
                                                      else "")
    return f"{i + 1} · {lt}({main})" + (f" {marks}" if marks else "")


MODALITY_WORDS = {"table": "rows of a table", "images": "pictures", "series": "a time series",
                  "text": "texts", "table_text": "a table with a text column",
                  "table_images": "a table with pictures"}


def branch_overview() -> None:
    """Every branch's stack side by side, the merge, then the layers after it."""
    branches = ss.spec["branches"]
    cols = st.columns(len(branches), border=True)
    for c, (b, stack) in zip(cols, branches.items()):
        c.markdown(f"**{PART_LABELS[b]}**")
        c.caption("\n\n".join(label(i, layer) for i, layer in enumerate(stack)) or "no layers")
    head = ss.spec["layers"]
    st.caption("⤵️ **merged** (side by side) → " + (" → ".join(
        label(i, layer) for i, layer in enumerate(head)) or "the output layer directly"))


def apply_template(name: str) -> None:
    ss.spec = {k: v for k, v in ss.spec.items() if k != "branches"} | template_stacks(name)
    ss.selected_layer, ss.pending_template = 0, None
    ss.history_label = f"applied the template '{name}'"
    st.rerun()


def restore(state: dict) -> None:
    """Put a state from the history back (undo, redo, a jump): the model part of the spec and
    the kind of data are replaced and every form takes fresh keys."""
    state = dict(state)
    kind = state.pop("modality", ss.modality)
    ss.spec = {**{k: v for k, v in ss.spec.items() if k not in MODEL_KEYS}, **state}
    ss.modality = kind
    ss.spec_version = ss.spec_version + 1
    ss.selected_layer = 0
    ss.pending_template = ss.pending_import = ss.pending_base = None
    st.rerun()


def apply_import(loaded: dict) -> None:
    """Use an uploaded spec: its model, and its data choices where they fit this data."""
    apply_spec(loaded, f"loaded the spec '{loaded.get('name') or 'spec.json'}'")
    st.rerun()


def history_bar() -> None:
    """Undo, redo and the list of edits."""
    h = ss.history
    u, r, n = st.columns([1, 1, 2])
    if u.button("↩️ Undo", key="undo", disabled=not h.can_undo, width="stretch",
                help=f"Undo: {h.next_undo}" if h.can_undo else "Nothing to undo yet."):
        restore(h.undo())
    if r.button("↪️ Redo", key="redo", disabled=not h.can_redo, width="stretch",
                help=f"Redo: {h.next_redo}" if h.can_redo else "Nothing to redo."):
        restore(h.redo())
    edits = len(h.entries) - 1
    with n.popover(f"🕘 History ({edits} edit{'' if edits == 1 else 's'})", width="stretch"):
        if not edits:
            if h.entries and h.entries[0].label != "start":  # where the stack came from
                st.markdown(f"- **0 · {h.entries[0].label}** ← now")
            st.caption("Every change to the network or its training is listed here, and can be "
                       "undone and redone.")
        else:
            lines = []
            for row in h.rows():  # newest first; the current state in bold, undone ones struck
                text = f"{row['step']} · {row['change']}"
                lines.append(f"- **{text}** ← now" if row["state"] == "current" else
                             f"- ~~{text}~~ (undone)" if row["state"] == "undone" else
                             f"- {text}")
            st.markdown("\n".join(lines))
            steps = [row["step"] for row in h.rows()]
            go = st.selectbox("Go back (or forward) to", steps, index=steps.index(h.cursor),
                              format_func=lambda i: f"{i} · {h.entries[i].label}",
                              key=f"history_go_{len(h.entries)}_{h.cursor}")
            if go != h.cursor and st.button("Go to this step", key="history_jump"):
                restore(h.go(go))


left, right = st.columns([5, 6], gap="large")
with left:
    history_bar()
    modality = ss.modality
    show_all = st.toggle("Show every template and layer", key="build_show_all",
                         help=f"By default only what suits {MODALITY_WORDS[modality]} is offered.")
    names = templates_for(modality) if mixed or not show_all else [
        n for n, t in TEMPLATES.items() if "branches" not in t]
    # The box shows what the stack really is: its template, or "Custom" (kept from the
    # previous data while it is unchanged); never a template it is not.
    kept = ss.stack_from if ss.stack_from and ss.spec["layers"] == ss.stack_from["layers"] \
        and (ss.spec.get("branches") or {}) == (ss.stack_from["branches"] or {}) else None
    kept_from = kept["data"] if kept and ss.data is not None \
        and kept["data"] != ss.data.name else None
    now_is = which_template(ss.spec["layers"], ss.spec.get("branches"))
    suits = suggest_template(modality, len(ss.data.df))
    if kept_from and now_is != suits and suits in TEMPLATES:
        with st.container(border=True, key="kept_stack"):
            st.info(f"Your stack ({stack_words(ss.spec['layers'], ss.spec.get('branches'))}) "
                    f"is kept from **{kept_from}**. The template made for this data is "
                    f"**{suits}**: {TEMPLATES[suits]['help']}", icon="🧳")
            if st.button(f"Use the template for this data ({suits})", key="use_suited",
                         type="primary", help="Replaces the kept layers; undo brings "
                         "them back."):
                apply_template(suits)
    t1, t2 = st.columns([3, 1])
    box_key = f"template_{modality}"
    stack_now = json.dumps([ss.spec["layers"], ss.spec.get("branches")], sort_keys=True,
                           default=str)
    if box_key not in st.session_state or ss.template_box != stack_now:  # the stack changed:
        st.session_state[box_key] = now_is if now_is in names else None  # say what it is now
    ss.template_box = stack_now
    tpl = t1.selectbox("Start from a template", names, key=box_key, index=None,
                       placeholder=stack_words(ss.spec["layers"], ss.spec.get("branches"),
                                               kept_from),
                       help="Replaces the current layers with a ready-made stack (you are asked "
                       "first when that would discard layers). Empty: your stack is no "
                       "template.")
    t1.caption(TEMPLATES[tpl]["help"] if tpl else
               f"Your stack: {stack_words(ss.spec['layers'], ss.spec.get('branches'), kept_from)}"
               ". Pick a template to replace it.")
    n_all = len(ss.spec["layers"]) + sum(map(len, (ss.spec.get("branches") or {}).values()))
    if t2.button("Apply", key="apply_template", disabled=tpl is None):
        if n_all and (ss.spec["layers"] != TEMPLATES[tpl]["layers"]
                      or ss.spec.get("branches") != TEMPLATES[tpl].get("branches")):
            ss.pending_template = tpl
        else:
            apply_template(tpl)
    if ss.pending_template:
        ask_to_replace("pending_template", f"**{ss.pending_template}** replaces your {n_all} "
                       "layer(s). You can undo it afterwards.", apply_template, key="template")

    if mixed:
        branch_overview()
        chosen = st.radio("Edit", parts, index=parts.index(part), horizontal=True,
                          format_func=PART_LABELS.get, key="build_part_radio",
                          help="Each branch reads its own input; the layers after the merge "
                          "read all branches' outputs together.")
        if chosen != part:
            ss.build_part, ss.selected_layer = chosen, 0
            st.rerun()
    a1, a2 = st.columns([3, 1])
    part_modality = BRANCH_MODALITY[part] if mixed and part != "head" else modality
    palette = list(CATALOG) if show_all else layers_for(part_modality)
    # plain words: what each layer does (fixed per run, and its own box: a switch of words
    # never meets a choice shown in the other words)
    shown = {t: f"{t} — {words.param_label(t, CATALOG[t].category)}" for t in palette}
    new_type = a1.selectbox("Add a layer", palette, format_func=shown.get,
                            key="palette_plain" if words.is_plain() else "palette",
                            help="The layer types that suit this data. Each has its own "
                            "settings.\n\n📖 " + words.tip("layer"))
    a1.caption(words.param_help(new_type, CATALOG[new_type].summary) if words.is_plain()
               else CATALOG[new_type].summary)  # plain: what the layer is, then its summary
    if a2.button("➕ Add", key="add_layer", type="primary"):
        layers.append({"type": new_type, **CATALOG[new_type].defaults()})
        ss.selected_layer = len(layers) - 1
        st.rerun()

    if not layers:
        st.info("No hidden layers: the model is a plain linear/logistic model. Add a Dense "
                "layer to make it a neural network.", icon="🧱")
    else:
        labels = [label(i, l) for i, l in enumerate(layers)]
        st.markdown(f"**{PART_LABELS[part] if mixed else 'Your stack'}** (drag to reorder; "
                    "input at the top, output below)")
        try:
            from streamlit_sortables import sort_items
            order = sort_items(labels, direction="vertical",
                               key=f"sort_{part}_" + str(abs(hash(tuple(labels)))))
        except ImportError:  # the component is optional for the engine; keep the page usable
            order = labels
        if order != labels and sorted(order) == sorted(labels):
            layers[:] = [layers[labels.index(o)] for o in order]
            st.rerun()
        sel = min(ss.selected_layer, len(layers) - 1)
        sel = st.selectbox("Edit layer", range(len(layers)), index=sel,
                           format_func=lambda i: labels[i],
                           key=f"edit_sel_{part}_" + str(abs(hash(tuple(labels)))))
        ss.selected_layer = sel
        layer = layers[sel]
        lt = CATALOG[layer["type"]]
        with st.container(border=True):
            st.markdown(f"**{labels[sel]}** — {lt.summary}")
            # The key follows the layer's content: a layer replaced by a template, a reorder or a
            # loaded spec gets fresh widgets instead of inheriting stale widget state.
            ident = abs(hash(json.dumps(layer, sort_keys=True)))
            if reuse_note(layer):
                st.rerun()
            values = params_form(lt.params, layer, key_prefix=(
                f"layer{sel}_{ident}" if part == "head" else f"{part}_layer{sel}_{ident}"))
            new = {"type": layer["type"], **{k: v for k, v in values.items() if k != "type"},
                   **{k: layer[k] for k in ("weights", "trainable") if k in layer}}
            if new != {**lt.defaults(), **layer}:  # defaults filled in are not an edit
                layers[sel] = new
                st.rerun()
            b1, b2 = st.columns(2)  # two rows of two: each label fits its button
            b3, b4 = st.columns(2)
            if b1.button("⬆️ Up", key="up", disabled=sel == 0, width="stretch",
                         help="Move this layer one place towards the input."):
                layers[sel - 1], layers[sel] = layers[sel], layers[sel - 1]
                ss.history.note_move(part, sel, sel - 1)  # the history names this layer
                ss.selected_layer = sel - 1
                st.rerun()
            if b2.button("⬇️ Down", key="down", disabled=sel == len(layers) - 1, width="stretch",
                         help="Move this layer one place towards the output."):
                layers[sel + 1], layers[sel] = layers[sel], layers[sel + 1]
                ss.history.note_move(part, sel, sel + 1)
                ss.selected_layer = sel + 1
                st.rerun()
            if b3.button("📄 Copy", key="dup", width="stretch",
                         help="Duplicate this layer just below it."):
                layers.insert(sel + 1, copy.deepcopy(layer))
                ss.selected_layer = sel + 1
                st.rerun()
            if b4.button("🗑️ Delete", key="delete", width="stretch", help="Remove this layer."):
                layers.pop(sel)
                ss.selected_layer = max(0, sel - 1)
                st.rerun()

    if not mixed:  # reused layers come in where the data enters a one-input model
        base_section(layers)
    kinds_of_layers = {"images": ["convolution", "pooling"], "series": ["RNN / LSTM"],
                       "text": ["RNN / LSTM"]}  # the words of the layers this data suggests
    words.on_page(["layer", "units", "activation", "dense", "dropout", "weights",
                   "overfitting", *kinds_of_layers.get(ss.modality, [])], key="build_words")
    with st.expander("Save or load the spec (JSON)"):
        spec_now = session_spec()
        st.download_button("⬇️ Download spec.json", dumps(spec_now), "spec.json",
                           "application/json", key="dl_spec")
        up = st.file_uploader("Load a spec.json", type=["json"], key="spec_upload")
        if up is not None and ss.spec_loaded != up.file_id:
            try:
                loaded = loads(up.getvalue().decode("utf-8", errors="replace"))
                ss.spec_loaded = up.file_id
                mine = {k: ss.spec.get(k) for k in ("branches", "layers", "output", "training")}
                n_mine = len(ss.spec["layers"]) + sum(map(len, (ss.spec.get("branches")
                                                              or {}).values()))
                if n_mine and mine != {k: loaded.get(k) for k in mine}:
                    ss.pending_import = loaded  # it replaces the user's model: ask first
                    st.rerun()
                apply_import(loaded)
            except SpecError as e:
                show_error(e)
    if ss.pending_import:
        name = ss.pending_import.get("name") or "spec.json"
        n_mine = len(ss.spec["layers"]) + sum(map(len, (ss.spec.get("branches") or {}).values()))
        ask_to_replace("pending_import", f"The spec **{name}** replaces your {n_mine} layer(s) "
                       "and training settings. You can undo it afterwards.", apply_import,
                       yes="Replace my model", no="Keep my model", key="import")

with right:
    info, err = try_stack_info(session_spec())
    ss.build_ok = False
    if err is not None:
        show_error(err)
    else:
        resolved, notes, n_in, n_cls = info
        try:
            rows = check_stack(resolved, n_in, n_cls)
            ss.build_ok = True
        except SpecError as e:
            rows = None
            show_error(e)
        if rows:
            total = sum(r["params"] for r in rows)
            c1, c2, c3 = st.columns(3)
            c1.metric("Inputs", n_in, help="Encoded input columns: one per number, one per "
                      "category label, three per date (times the window's rows for a time "
                      "series; one raw text for a text model).")
            c2.metric("Layers", sum(1 for r in rows if r["name"] not in ("Input", "Merge · "
                                    "Concatenate") and not r["name"].endswith(" input")),
                      help=words.tip("layer"))
            c3.metric("Weights to learn", f"{total:,}", help=words.tip("weights"))
            views = lazytabs.tabs(["Shapes", "Diagram", "Keras code"], key="build_views")
            if views.open("Shapes"):  # only the open tab is drawn (with a server)
                views["Shapes"].dataframe(pd.DataFrame([{"layer": r["name"],
                                                         "output shape": str(r["shape"]),
                                                         "weights": r["params"]} for r in rows]),
                                          hide_index=True, width="stretch")
            if views.open("Diagram"):
                views["Diagram"].plotly_chart(network_diagram(rows), key="net_diagram")
            if views.open("Keras code"):
                with views["Keras code"]:
                    out = output_units(resolved["data"]["task"], n_cls)
                    st.code(model_code(resolved, n_in, out), language="python", wrap_lines=True)
                    st.caption("The full, runnable training script is on the Predict & export "
                               "page.")
            st.success("The network is valid. Next: train it.", icon="✅")
            st.page_link("pages/4_train.py", label="Next: Train", icon="➡️")
