"""Widgets generated from catalog parameters (kwk.catalog.params.Param): one function per kind."""
from __future__ import annotations

import streamlit as st

from kwk.catalog.params import CONSTRAINTS, REGULARIZERS, Param
from kwk.ui import words


def _names(p: Param) -> list[str]:
    """The glossary names of a setting: a training setting is looked up as
    ``training.<name>`` first (the optimizer's momentum is not BatchNormalization's)."""
    from kwk.spec import TRAINING_PARAMS
    return ([f"training.{p.name}"] if any(p is q for q in TRAINING_PARAMS) else []) + [p.name]


def param_widget(p: Param, value, key: str):
    """Draw the widget for ``p`` showing ``value``; return the (possibly edited) value. Its
    label and help follow the "Plain words" switch (kwk.ui.words, the glossary)."""
    names = _names(p)
    label = words.param_label(names, p.name.replace("_", " "))
    # a bias's or an output's initializer, penalty or limit keeps its own label (the weights'
    # one has the plain words) but its help says what the family means
    family = [p.name.rsplit("_", 1)[1]] if p.name.endswith(
        ("_initializer", "_regularizer", "_constraint")) else []
    p_help = words.param_help(names + family, p.help)
    if p.value_type == "bool":
        return st.toggle(label, value=bool(value), help=p_help, key=key)
    if p.value_type == "choice":
        opts = list(p.choices)
        return st.selectbox(label, opts, index=opts.index(value) if value in opts else 0,
                            help=p_help, key=key)
    if p.value_type == "int":
        if p.nullable:  # e.g. Embedding's vocabulary size: empty means "automatic"
            on = st.checkbox(f"set {label}", value=value is not None, key=key + "_on", help=p_help)
            if not on:
                return None
            value = int(p.min or 0) if value is None else value
        return int(st.number_input(label, value=int(value), step=1,
                                   min_value=int(p.min) if p.min is not None else None,
                                   max_value=int(p.max) if p.max is not None else None,
                                   help=p_help + (f" ({p.range_text()})" if p.range_text() else ""),
                                   key=key))
    if p.value_type == "float":
        lo = p.min if p.min is not None else None
        hi = p.max if p.max is not None else None
        if p.nullable:
            on = st.checkbox(f"set {label}", value=value is not None, key=key + "_on", help=p_help)
            if not on:
                return None
            value = 0.0 if value is None else value
        v = st.number_input(label, value=float(value), min_value=lo, max_value=hi,
                            format="%g", step=_step(value), help=p_help +
                            (f" (must be {p.range_text()})" if p.range_text() else ""), key=key)
        return float(v)
    if p.value_type == "regularizer":
        opts = ["none", *REGULARIZERS]
        cur = value["type"] if value else "none"
        t = st.selectbox(label, opts, index=opts.index(cur), help=p_help, key=key + "_t")
        if t == "none":
            return None
        out = {"type": t}
        for k in ("l1", "l2"):
            if (k == "l1" and t in ("L1", "L1L2")) or (k == "l2" and t in ("L2", "L1L2")):
                out[k] = float(st.number_input(f"{label}: {k} rate", min_value=0.0, max_value=10.0,
                                               value=float((value or {}).get(k, 0.01)),
                                               format="%g", step=0.001, key=f"{key}_{k}"))
        return out
    if p.value_type == "constraint":
        opts = ["none", *CONSTRAINTS]
        cur = value["type"] if value else "none"
        t = st.selectbox(label, opts, index=opts.index(cur), help=p_help, key=key + "_t")
        if t == "none":
            return None
        out = {"type": t}
        if t in ("MaxNorm", "MinMaxNorm"):
            out["max_value"] = float(st.number_input(f"{label}: max value", min_value=0.0,
                                                     value=float((value or {}).get("max_value", 3.0 if t == "MaxNorm" else 1.0)),
                                                     key=key + "_max"))
        if t == "MinMaxNorm":
            out["min_value"] = float(st.number_input(f"{label}: min value", min_value=0.0,
                                                     value=float((value or {}).get("min_value", 0.0)),
                                                     key=key + "_min"))
        return out
    if p.value_type == "shape":
        text = st.text_input(label, value=", ".join(str(d) for d in (value or [])), help=p_help +
                             " Write the sizes separated by commas, e.g. 8, 8, 1.", key=key)
        try:
            return [int(t) for t in text.replace("×", ",").replace("x", ",").split(",") if t.strip()]
        except ValueError:
            st.error(f"{label}: write whole numbers separated by commas, e.g. 8, 8, 1.")
            return value
    raise AssertionError(p.value_type)


def _step(value) -> float:
    v = abs(float(value or 0))
    if v == 0:
        return 0.01
    import math
    return 10 ** math.floor(math.log10(v))


def params_form(params, values: dict, key_prefix: str, columns: int = 2) -> dict:
    """All parameters of a layer or of training; advanced ones folded. Returns new values."""
    out = dict(values)
    basic = [p for p in params if not p.advanced]
    adv = [p for p in params if p.advanced]
    cols = st.columns(columns)
    for i, p in enumerate(basic):
        with cols[i % columns]:
            out[p.name] = param_widget(p, values.get(p.name, p.default), f"{key_prefix}_{p.name}")
    if adv:
        with st.expander("Advanced settings"):
            cols = st.columns(columns)
            for i, p in enumerate(adv):
                with cols[i % columns]:
                    out[p.name] = param_widget(p, values.get(p.name, p.default),
                                               f"{key_prefix}_{p.name}")
    return out
