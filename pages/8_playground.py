"""Playground: the TensorFlow Neural Network Playground, live, on its datasets or the user's."""
import base64

import pandas as pd
import streamlit as st

from kwk.data.loader import LoadedData, fingerprint_bytes
from kwk.errors import KwkError
from kwk.playground.engine import (
    CLASS_DATASETS,
    DATASETS,
    FEATURES,
    MAX_LAYERS,
    MAX_NEURONS,
    REG_DATASETS,
    Config,
    Playground,
    build_frame,
    suggest_inputs,
    user_dataset,
)
from kwk.playground.explain import (explain_all, explain_snapshot, how_it_computes,
                                    input_names, is_probability, neuron_title, neurons)
from kwk.playground.plots import (MAX_DRAWN, loss_figure, network_figure, neuron_figure,
                                  surface_figure)
from kwk.ui.persist import put_back_playground_network
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import playground_widgets, session
from kwk.ui.state import apply_spec, parse, profile_kinds, set_data, show_error
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()

ss = session()            # the declared values (kwk/ui/session.py)
widgets = st.session_state  # the controls' own keys (session.playground_widgets)
LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REG_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear", "elu", "selu", "gelu", "silu", "softplus",
               "softsign", "leaky_relu", "relu6", "mish", "hard_sigmoid", "hard_tanh", "celu",
               "exponential", "log_sigmoid", "squareplus", "tanh_shrink"]
OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion"]
GROUPS = {"data": "Data", "features": "Features", "network": "Network",
          "training": "Training settings", "output": "Output options", "share": "Sharing & Build"}

# ---------------------------------------------------------------- settings from the URL, once
query = st.query_params.to_dict()
hidden = {h.strip() for h in query.get("hide", "").split(",") if h.strip()}
classroom = query.get("classroom", "0") in ("1", "true", "yes")
if classroom:
    hidden |= {"share"}
if ss.pg_cfg is None:
    cfg, problems = Config.from_query(query)
    ss.pg_cfg, ss.pg_url_problems = cfg, problems
cfg: Config = ss.pg_cfg
# The controls' widget keys are deleted by Streamlit whenever another page runs; the settings
# live on in pg_cfg (a key no widget owns), so every missing control starts from them again.
for _k, _v in cfg.as_dict().items():
    widgets.setdefault(f"pg_{_k}", _v)
widgets.setdefault("pg_n_layers", len(cfg.layers))
for _i, _n in enumerate(cfg.layers):
    widgets.setdefault(f"pg_layer_{_i}", _n)
# The Playground's own data (the source, an uploaded file, the columns chosen) lives in pg_data,
# which no widget owns: coming back from another page finds the same data and the same network.
kept = ss.pg_data
kept.setdefault("columns", {})
widgets.setdefault("pg_source", "playground" if cfg.dataset != "user" else
                   kept.get("source") if kept.get("source") in ("mine", "upload") else "mine")
# Widgets that are not drawn in a run (another data source, hidden controls) would lose their
# value; re-assigning keeps every setting.
for _k in playground_widgets(list(cfg.as_dict()), MAX_LAYERS):
    if _k in widgets:
        widgets[_k] = widgets[_k]

st.title("🛝 Playground")
st.caption("Watch a neural network learn, live: the colours show what the network predicts "
           "over the plane, the dots are the data. Tinker with the data, the input features "
           "and the network, then press ▶️.")
for p in ss.pg_url_problems:
    st.warning(f"The link's settings were not all usable: {p} Defaults were used instead.",
               icon="🔗")
ss.pg_url_problems = []  # said once


def _opt(options, value):
    return sorted(set(options) | {value})


def _pos(options, value) -> int:
    """The position of the current value: every control is drawn with the value it holds (a
    control restored after another page ran otherwise showed its first option or its minimum
    now and then, while the network used the restored value)."""
    return options.index(value) if value in options else 0


def _columns(kind: str, xs: list[str], targets: list[str], target: str | None) -> tuple:
    """The X₁, X₂ and target choices for one kind of own data ('mine', 'upload'), drawn with
    the columns chosen before (kept in pg_data) when they are still offered."""
    keys = {"mine": ("pg_u_x1", "pg_u_x2", "pg_u_target"),
            "upload": ("pg_up_x1", "pg_up_x2", "pg_up_target")}[kind]
    before = kept["columns"].get(kind) or [None, None, None]
    for key, value, options in zip(keys, before, (xs, xs, targets)):
        if widgets.get(key) not in options:
            widgets.pop(key, None)
        if value in options:
            widgets.setdefault(key, value)
    if widgets.get(keys[1]) == widgets.get(keys[0]):
        widgets.pop(keys[1], None)
    x1 = st.selectbox("X₁ (horizontal)", xs, key=keys[0],
                      help="The numeric inputs that best separate the target come first; ID "
                      "columns and the target are not offered." if kind == "mine" else None)
    x2 = st.selectbox("X₂ (vertical)", [c for c in xs if c != x1], key=keys[1])
    tdef = targets.index(target) if target in targets else len(targets) - 1
    tgt = st.selectbox("Target", targets, index=tdef, key=keys[2])
    kept["columns"][kind] = [x1, x2, tgt]
    return x1, x2, tgt


def _upload() -> tuple[str, bytes] | None:
    """The 3-column CSV: the file in the upload box, else the one uploaded before (kept, so it
    survives leaving the page: the box itself is emptied by then). Removing the file from the
    box (×) forgets it."""
    had_box = "pg_upload" in widgets  # the box was on screen in the run before
    up = st.file_uploader("CSV with X₁, X₂ and the target (in that order)",
                          type=["csv", "tsv", "txt"], key="pg_upload")
    file = kept.get("upload")
    if up is not None:
        raw = up.getvalue()
        fid = fingerprint_bytes(raw) + "|" + up.name
        if not file or file.get("id") != fid:
            file = {"name": up.name, "b64": base64.b64encode(raw).decode(), "id": fid}
            kept["upload"] = file
            kept["columns"].pop("upload", None)
        kept["in_box"] = fid
        return up.name, raw
    if file and had_box and kept.get("in_box") == file.get("id"):
        kept["upload"], kept["in_box"] = None, None  # taken out of the box: forgotten
        return None
    kept["in_box"] = None
    if not file:
        return None
    st.caption(f"Using **{file['name']}**, uploaded earlier. Upload another file to replace it.")
    return file["name"], base64.b64decode(file["b64"])


def _query_with(settings: dict) -> dict:
    """The address: the Playground's settings, and whatever else is there (the kept session's
    key, a running job, a lesson) left as it was."""
    ours = set(Config().as_dict()) | {"classroom", "hide"}
    return {**{k: v for k, v in st.query_params.to_dict().items() if k not in ours}, **settings}


# ---------------------------------------------------------------- controls
left, right = st.columns([1.15, 3], gap="large")
with right:
    top = st.container()
    live_slot = st.container()
    if "output" not in hidden:
        o1, o2, o3, _ = st.columns([1, 1, 1.2, 0.8])
        o1.toggle("Show test data", bool(widgets.pg_show_test), key="pg_show_test")
        o2.toggle("Discretize output", bool(widgets.pg_discretize), key="pg_discretize")
        o3.toggle("Weights on the links", bool(widgets.pg_show_weights), key="pg_show_weights",
                  help="Colour (blue positive, orange negative) and thickness by each weight; "
                       "point at a link's middle for its number.")
user_data, no_data = None, ""
with left:
    if "data" not in hidden:
        st.markdown("##### Data")
        sources = {"playground": "Playground data", "mine": "My data (2 columns)",
                   "upload": "Upload a 3-column CSV"}
        if not classroom:
            st.radio("Source", list(sources), _pos(list(sources), widgets.pg_source),
                     format_func=sources.get, key="pg_source",
                     horizontal=False, label_visibility="collapsed")
        source = widgets.get("pg_source", "playground")
        kept["source"] = source
        if source == "playground":
            st.radio("Problem type", ["classification", "regression"],
                     _pos(["classification", "regression"], widgets.pg_problem), key="pg_problem",
                     horizontal=True)
            names = CLASS_DATASETS if widgets.pg_problem == "classification" else REG_DATASETS
            if widgets.get("pg_dataset") not in names:
                widgets.pg_dataset = next(iter(names))
            st.selectbox("Dataset", list(names), _pos(list(names), widgets.pg_dataset),
                         format_func=DATASETS.get, key="pg_dataset")
            st.slider("Noise", 0, 50, int(widgets.pg_noise), key="pg_noise",
                      help="Percent of random jitter.")
            st.slider("Points", 50, 2000, int(widgets.pg_points), step=50, key="pg_points")
        elif source == "mine":
            if ss.data is None:
                no_data = ("This setup uses its own data, which a link cannot carry: the link "
                           "holds the settings (features, network, training). Load a table on "
                           "the **Data** page, or upload a 3-column CSV here.")
            else:
                df = ss.data.df
                num = suggest_inputs(df, ss.target, profile_kinds())
                allc = [str(c) for c in df.columns]
                if len(num) < 2:
                    no_data = (f"'{ss.data.name}' has {len(num)} numeric input column(s) "
                               f"({', '.join(num) or 'none'}); the Playground draws two as X₁ "
                               "and X₂. Upload a 3-column CSV here, or use the Build page.")
                else:
                    x1, x2, tgt = _columns("mine", num, allc, ss.target)
                    try:
                        user_data = user_dataset(df, x1, x2, tgt)
                        st.caption("The network sees both columns scaled into the plane "
                                   "(−5 to 5); the pictures show their own values.")
                    except KwkError as e:
                        show_error(e)
        else:
            file = _upload()
            if file is not None:
                name, raw = file
                try:
                    ld = parse(raw, name)
                    cols = [str(c) for c in ld.df.columns]
                    if len(cols) != 3:
                        raise KwkError(f"'{name}' has {len(cols)} columns; the Playground "
                                       "reads exactly three: X₁, X₂ and the target.",
                                       "Keep two numeric columns and the target.")
                    x1, x2, tgt = _columns("upload", cols, cols, cols[2])
                    user_data = user_dataset(ld.df, x1, x2, tgt)
                except KwkError as e:
                    show_error(e)
        st.slider("Training data (%)", 10, 90, int(widgets.pg_train_ratio), step=10,
                  key="pg_train_ratio")
        st.slider("Batch size", 1, 30, int(widgets.pg_batch_size), key="pg_batch_size")
        if st.button("🎲 Regenerate", key="pg_regen", help="New random data (a new seed)."):
            widgets.pg_seed = int(widgets.pg_seed) + 1

with left:
    if "features" not in hidden:
        st.markdown("##### Features")
        picked = st.pills("Input features", list(FEATURES), selection_mode="multi",
                          default=list(widgets.pg_features or []),
                          format_func=FEATURES.get, key="pg_features",
                          label_visibility="collapsed", width="stretch", wrap=True)
    if "network" not in hidden:
        st.markdown("##### Network")
        st.number_input("Hidden layers", 0, MAX_LAYERS, int(widgets.pg_n_layers),
                        key="pg_n_layers",
                        help=f"Up to {MAX_LAYERS} (the original Playground stops at 6).")
        if widgets.pg_n_layers:
            per = st.columns(min(int(widgets.pg_n_layers), 3))
            for i in range(int(widgets.pg_n_layers)):
                widgets.setdefault(f"pg_layer_{i}", 4)
                per[i % len(per)].number_input(f"Layer {i + 1}", 1, MAX_NEURONS,
                                               int(widgets[f"pg_layer_{i}"]), key=f"pg_layer_{i}",
                                               help=f"Neurons, 1–{MAX_NEURONS}.")
    if "training" not in hidden:
        st.markdown("##### Training")
        t1, t2 = st.columns(2)
        t1.select_slider("Learning rate", _opt(LEARNING_RATES, widgets.pg_learning_rate),
                         value=widgets.pg_learning_rate, key="pg_learning_rate")
        acts = _opt(ACTIVATIONS, widgets.pg_activation)
        t2.selectbox("Activation", acts, _pos(acts, widgets.pg_activation), key="pg_activation")
        t3, t4 = st.columns(2)
        t3.selectbox("Optimizer", OPTIMIZERS, _pos(OPTIMIZERS, widgets.pg_optimizer),
                     key="pg_optimizer",
                     help="'sgd' is what the original Playground uses.")
        t4.slider("Dropout", 0.0, 0.8, float(widgets.pg_dropout), step=0.05, key="pg_dropout")
        t5, t6 = st.columns(2)
        t5.selectbox("Regularization", ["none", "L1", "L2"],
                     _pos(["none", "L1", "L2"], widgets.pg_regularization),
                     key="pg_regularization")
        t6.select_slider("Regularization rate", _opt(REG_RATES, widgets.pg_reg_rate),
                         value=widgets.pg_reg_rate, key="pg_reg_rate")

# ---------------------------------------------------------------- the settings -> a network
source = widgets.get("pg_source", "playground")
new = Config(
    dataset=widgets.pg_dataset if source == "playground" else "user",
    noise=int(widgets.pg_noise), train_ratio=int(widgets.pg_train_ratio), batch_size=int(widgets.pg_batch_size),
    points=int(widgets.pg_points), features=list(widgets.pg_features or []),
    layers=[int(widgets.get(f"pg_layer_{i}", 4)) for i in range(int(widgets.pg_n_layers))],
    activation=widgets.pg_activation, learning_rate=float(widgets.pg_learning_rate),
    regularization=widgets.pg_regularization, reg_rate=float(widgets.pg_reg_rate),
    problem=(user_data[2] if user_data else "classification") if source != "playground"
    else widgets.pg_problem,
    optimizer=widgets.pg_optimizer, dropout=float(widgets.pg_dropout), seed=int(widgets.pg_seed),
    show_test=bool(widgets.pg_show_test), discretize=bool(widgets.pg_discretize),
    show_weights=bool(widgets.pg_show_weights))
shown_hidden = sorted(hidden - {"share"})
url = _query_with({**new.to_query(), **({"classroom": "1"} if classroom else {}),
                   **({"hide": ",".join(shown_hidden)} if shown_hidden else {})})
if st.query_params.to_dict() != url:  # the address holds the settings, data or not
    st.query_params.from_dict(url)

if source != "playground" and user_data is None:
    with top:  # keep the layout: say what is missing where the picture would be
        st.info(no_data or "Choose the data on the left: the picture appears here.", icon="🛝")
    stop_page()
if not new.features:
    top.warning("Switch on at least one input feature.", icon="👆")
    stop_page()
view_only = {"show_test", "discretize", "show_weights"}
changed = {k for k, v in new.as_dict().items() if v != cfg.as_dict()[k]}
data_key = (source, None if user_data is None else
            hash(user_data[0].tobytes() + user_data[1].tobytes()))
pg: Playground | None = ss.pg
if pg is None or changed - view_only or ss.pg_data_key != data_key and user_data is not None:
    was_playing = pg is not None and pg.playing
    if pg is not None:
        pg.close()
    try:
        with st.spinner("Building the network…"):
            pg = Playground(new, data=user_data)
            if ss.pg is None:  # a fresh session (a reload): the network kept with it, if any
                put_back_playground_network(pg)
    except KwkError as e:
        show_error(e)
        stop_page()
    ss.pg, ss.pg_data_key = pg, data_key
    if was_playing:
        pg.play()
ss.pg_cfg = new
pg.config.show_test, pg.config.discretize = new.show_test, new.discretize
pg.config.show_weights = new.show_weights

# ---------------------------------------------------------------- play / pause / step / reset
with top:
    b = st.columns(4, vertical_alignment="center")
    if pg.playing:
        if b[0].button("⏸️ Pause", key="pg_pause", type="primary", width="stretch"):
            pg.pause()
            pg.wait_paused()
            st.rerun()
    elif b[0].button("▶️ Play", key="pg_play", type="primary", width="stretch",
                     disabled=pg.error is not None):
        pg.play()
        st.rerun()
    if b[1].button("⏭️ Step", key="pg_step", width="stretch", help="Train one epoch."):
        pg.step()
        st.rerun()
    if b[2].button("🔄 Reset", key="pg_reset", width="stretch", help="New random weights."):
        pg.close()
        ss.pg = Playground(new, data=user_data)
        st.rerun()


def live():
    snap = pg.snapshot()
    m = st.columns(4)
    m[0].metric("Epoch", f"{snap['epoch']:,}")
    m[1].metric("Training loss", f"{snap['train_loss']:.3f}")
    m[2].metric("Test loss", f"{snap['test_loss']:.3f}")
    m[3].metric("Epochs per second", "—" if not snap["playing"] or not pg.epoch_seconds
                else f"{1 / pg.epoch_seconds:.0f}")
    if snap["error"]:
        st.error(snap["error"], icon="⚠️")
    feats, axes = pg.config.features, pg.axes
    every = neurons(snap["weights"])
    choice = widgets.get("pg_explain")
    if choice not in every:
        widgets.pop("pg_explain", None)
        choice = None
    about = explain_all(snap, feats, axes, per_layer=MAX_DRAWN)
    c_net, c_out = st.columns([1.25, 1], gap="medium")
    c_net.plotly_chart(network_figure(snap, feats, names=input_names(feats, axes),
                                      show_weights=pg.config.show_weights, selected=choice,
                                      about=about),
                       key="pg_network", on_select=_picked, selection_mode="points",
                       config={"displayModeBar": False}, theme=None)
    c_out.plotly_chart(surface_figure(snap, pg.xy, pg.y, pg.train_idx, pg.test_idx,
                                      pg.config.problem, pg.config.show_test,
                                      pg.config.discretize, axes=axes),
                       key="pg_surface", config={"displayModeBar": False}, theme=None)
    c_out.plotly_chart(loss_figure(snap["history"]), key="pg_curve",
                       config={"displayModeBar": False})
    n_hidden = len(snap["weights"]) - 1
    picked = st.selectbox("Explain neuron", every, index=None, key="pg_explain",
                          format_func=lambda n: neuron_title(n[0], n[1], n_hidden),
                          placeholder="Point at a neuron in the network to see what it "
                                      "computes; click it (paused) or choose it here to see "
                                      "it in full")
    if picked is not None:
        explained(snap, *picked)
    if ss.pg_was_playing and not snap["playing"]:
        ss.pg_was_playing = False
        st.rerun(scope="app")  # it paused by itself: stop polling, show ▶️
    ss.pg_was_playing = snap["playing"]


def _picked() -> None:
    """A neuron clicked in the network: explain it (the chart's selection -> the choice)."""
    event = widgets.get("pg_network") or {}
    for point in (event.get("selection") or {}).get("points") or []:
        data = point.get("customdata")
        if data is not None and len(data) == 2:
            widgets["pg_explain"] = (int(data[0]), int(data[1]))
            return


def explained(snap: dict, layer: int, index: int) -> None:
    """What one neuron computes: the sentence, its output over the plane, its weights."""
    n = explain_snapshot(snap, layer, index, pg.config.features, pg.axes)
    with st.container(border=True, key="pg_neuron"):
        st.markdown(f"**{n.title}** — {n.sentence}")
        fig_col, w_col = st.columns([1.3, 1], gap="medium")
        n_layers = len(snap["weights"])
        prob = is_probability(layer, n_layers, pg.config.problem)
        fig_col.plotly_chart(neuron_figure(snap["neurons"][layer - 1][index], pg.axes, n.line,
                                           probability=prob),
                             key="pg_neuron_map", config={"displayModeBar": False}, theme=None)
        w_col.dataframe(pd.DataFrame({"from": n.inputs + ["bias (always 1)"],
                                      "weight": [*n.weights, n.bias]}),
                        hide_index=True, key="pg_neuron_weights",
                        column_config={"weight": st.column_config.NumberColumn(format="%.3f")})
        w_col.caption(how_it_computes(layer, n_layers, pg.config.activation, pg.config.problem,
                                      n.line is not None))


with live_slot:
    st.fragment(live, run_every=0.5 if pg.playing else None)()

# ---------------------------------------------------------------- beyond the Playground
if "share" not in hidden:
    with st.expander("🔗 Share, teach, or take this network further"):
        if source == "playground":
            st.markdown("**This exact setup** (data, seed, network) is in the page's address: "
                        "copy it from the browser to share it.")
        else:
            st.markdown("**The settings** (features, network, training) are in the page's "
                        "address. Your data is not: whoever opens the link loads their own.")
        groups = st.multiselect("Classroom link: hide these controls", list(GROUPS)[:-1],
                                format_func=GROUPS.get, key="pg_hide_pick")
        qs = "&".join(f"{k}={v}" for k, v in {**new.to_query(), "classroom": "1",
                                                **({"hide": ",".join(groups)} if groups else {})}.items())
        base = (st.context.url or "").split("?")[0]
        st.code(f"{base}?{qs}", language=None)
        st.caption("A classroom link hides the data source, sharing and the chosen controls, "
                   "so a lesson can focus on one idea.")
        if st.button("🧱 Open in Build", key="pg_open_build", type="primary",
                     help="Hand this network and its data to the full flow: train it for real, "
                          "evaluate it, export the model and script."):
            df = build_frame(pg.xy, pg.y, new.features, new.problem, pg.classes)
            fp = fingerprint_bytes(df.to_csv(index=False).encode())
            name = f"playground_{new.dataset}.csv"
            set_data(LoadedData(df=df, name=name, fmt="csv",
                                read_options={"sep": ",", "encoding": "utf-8"}, fingerprint=fp),
                     "label")
            apply_spec(new.to_spec(), "opened the Playground's network")
            pg.pause()
            st.switch_page("pages/3_build.py")
