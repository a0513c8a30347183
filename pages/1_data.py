"""Data: upload or pick a sample, preview, profile, set roles and kinds."""
import os

import streamlit as st

# Only what the landing needs is imported up here: pandas and the readers come with the first
# file (or below, once there is data), so a cold start draws this page sooner.
from kwk.data.formats import SUPPORTED_EXTENSIONS
from kwk.data.sources import data_dirs
from kwk.errors import KwkError
from kwk.data.samples import SAMPLES
from kwk.ui.landing import welcome
from kwk.ui.persist import kept_note
from kwk.ui.runtime import ensure_navigation, warm_data_stack
from kwk.ui.session import session
from kwk.ui.state import (
    ROLES,
    current_profile,
    parse,
    sample,
    server_file,
    server_files,
    set_transforms,
    set_data,
    show_error,
)
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()

ss = session()
st.title("📂 Data" if ss.data is not None else "🧱 Keras Without Keras")


def use_sample(key: str) -> None:
    set_data(sample(key), SAMPLES[key].target, sample_key=key)
    st.rerun()


if ss.data is None:
    welcome(use_sample)
limit_mb = st.get_option("server.maxUploadSize")

src_upload, src_sample = st.columns([3, 2], gap="large")
with src_upload:
    up = st.file_uploader(f"Upload a table (CSV, TSV, Excel, OpenDocument, Parquet, Feather, "
                          f"JSON lines, SPSS, Stata, SAS) or a .zip of image folders — up to "
                          f"{limit_mb} MB",
                          type=[e.lstrip(".") for e in SUPPORTED_EXTENSIONS], key="upload",
                          help="Tables: the first row must hold the column names; delimiter and "
                          "text encoding are detected, and for a workbook (.xlsx, .xls, .ods) "
                          "you can pick the sheet; a CSV may come packed in .gz or .zip. SPSS "
                          "(.sav) and Stata (.dta) files keep their value labels as categories. "
                          "Images: a .zip with one folder of pictures per class "
                          "(cats/1.png, dogs/7.jpg, …).")
with src_sample:
    choice = st.selectbox("…or pick a sample dataset", ["—"] + list(SAMPLES),
                          format_func=lambda k: "—" if k == "—" else SAMPLES[k].title,
                          key="sample_choice",
                          help="Small, well-known datasets to try KwK without a file of your own.")
    if choice != "—":
        st.caption(SAMPLES[choice].description)
        if st.button("Use this sample", key="use_sample", type="primary"):
            use_sample(choice)

if up is not None:
    data = up.getvalue()
    sheet = None
    try:
        from kwk.data.loader import list_sheets
        sheets = list_sheets(data, up.name)
        if len(sheets) > 1:
            sheet = st.selectbox("Sheet", sheets, key="sheet")
        opts = ss.image_opts if ss.image_opts and ss.image_opts[0] == up.file_id else None
        ld = parse(data, up.name, sheet, opts[1] if opts else None)
        if ld.image_shape is not None:
            with st.expander("🖼️ Picture size and colour"):
                h0, w0 = ld.read_options["size"]
                c1, c2, c3 = st.columns([2, 2, 3])
                h = c1.number_input("Height (pixels)", 4, 512, int(h0), key="zip_h")
                w = c2.number_input("Width (pixels)", 4, 512, int(w0), key="zip_w")
                color = c3.radio("Colour", ["grayscale", "rgb"],
                                 index=0 if ld.read_options["color"] == "grayscale" else 1,
                                 horizontal=True, key="zip_color",
                                 format_func=lambda c: "Grey" if c == "grayscale" else "Colour (RGB)")
                st.caption("Every picture is resized to this size when it is read; the model "
                           "and the generated script use the same size. Smaller trains faster.")
                if st.button("Apply", key="zip_apply") and (h, w, color) != (h0, w0, ld.read_options["color"]):
                    ss.image_opts = (up.file_id, (int(h), int(w), color))
                    st.rerun()
    except KwkError as e:
        show_error(e)
        ld = None
        if ss.data is not None:
            st.caption(f"Still using the data you had: {ss.data.name}.")
    seen = (up.file_id, sheet, ss.image_opts)
    if ld is not None and ss.upload_seen != seen:  # a new upload (or sheet) only
        same_file = ss.upload_file == up.file_id  # e.g. pictures read at a new size
        ss.upload_seen, ss.upload_file = seen, up.file_id
        from kwk.data.image_profile import picture_label  # pictures come with their label
        set_data(ld, ss.target if same_file else picture_label(ld.df, ld.image_shape))
        from kwk.ui.images import adopt_folder_split
        adopt_folder_split(ld)  # train/ and test/ folders: training uses that split

with st.expander("🗄️ More sources: a file on the server, or a database"):
    t_file, t_db = st.tabs(["File on the server", "Database (SQL)"])
    with t_file:
        if not data_dirs():
            st.caption("Switched off on this server. An administrator can allow folders with "
                       "the KWK_DATA_DIRS setting; KwK then reads files there without an upload.")
        else:
            files = server_files()
            if not files:
                st.caption("No data files in the allowed folders: "
                           + ", ".join(str(d) for d in data_dirs()))
            else:
                path = st.selectbox("File", files, key="server_file",
                                    help="Only files inside the folders the administrator "
                                         "allowed are listed.")
                if st.button("Load this file", key="load_server_file"):
                    try:
                        from pathlib import Path

                        from kwk.data.image_profile import picture_label
                        sld = server_file(path, Path(path).stat().st_mtime)
                        set_data(sld, picture_label(sld.df, sld.image_shape))
                        from kwk.ui.images import adopt_folder_split
                        adopt_folder_split(sld)
                        st.rerun()
                    except (KwkError, OSError) as e:
                        show_error(e if isinstance(e, KwkError) else KwkError(str(e)))
    with t_db:
        db_url = st.text_input("Database URL", type="password", key="db_url",
                               placeholder="sqlite:////data/sales.db",
                               help="A SQLAlchemy URL, e.g. sqlite:////path/file.db or "
                                    "postgresql+psycopg://user:password@host/db. It stays in "
                                    "this session: runs, scripts and logs never store the user "
                                    "name or password.")
        db_query = st.text_area("SQL query", key="db_query", placeholder="SELECT * FROM sales",
                                height=90)
        if st.button("Run the query", key="run_sql", type="primary"):
            try:
                from kwk.data.sources import read_sql
                with st.spinner("Querying the database…"):
                    set_data(read_sql(db_url or os.environ.get("KWK_DB_URL", ""), db_query))
                st.rerun()
            except KwkError as e:
                show_error(e)

if ss.data is None:
    st.info("Upload a file or pick a sample to begin.", icon=":material/waving_hand:")
    st.caption(kept_note())
    warm_data_stack()  # pandas, SciPy, plotly... load while the landing is read
    stop_page()

import pandas as pd  # noqa: E402  (with data only: see the imports above)

from kwk.data.kind_names import KINDS  # noqa: E402
from kwk.plots import column_distribution, correlation_heatmap  # noqa: E402
from kwk.ui.images import picture_profile  # noqa: E402
from kwk.ui import lazytabs  # noqa: E402  (a hidden tab is not drawn)
from kwk.ui.memo import chart_key, once  # noqa: E402  (each chart built once)
from kwk.ui.tables import size_text  # noqa: E402

ld = ss.data
df = ld.df
prof = current_profile()
st.subheader(f"{ld.name}")
st.caption(kept_note())
for note in ld.notes:
    st.info(note, icon="ℹ️")
pictures = "images" in prof  # pictures: their profile, not one card per pixel column
if pictures:
    picture_profile(ld, prof)
    tab_preview, tab_roles = st.tabs(["Preview", "Roles & kinds"])
    tab_cols = tab_corr = None
else:
    m = st.columns(5)
    m[0].metric("Rows", f"{prof['rows']:,}")
    m[1].metric("Columns", prof["columns"])
    m[2].metric("Duplicate rows", f"{prof['duplicate_rows']:,}")
    m[3].metric("Missing cells", f"{sum(c['missing'] for c in prof['columns_info']):,}")
    m[4].metric("Memory", size_text(prof["memory_bytes"]))
    data_tabs = lazytabs.tabs(["Preview", "Roles & kinds", "Column profiles", "Correlations"],
                              key="data_tabs", always=("Preview", "Roles & kinds"),
                              keep={"Column profiles": ("col_filter", "col_page")})
    tab_preview, tab_roles, tab_cols, tab_corr = data_tabs.values()
with tab_preview:
    st.dataframe(df.head(200), width="stretch", height=320)
    if prof["warnings"] and not pictures:
        n_w = len(prof["warnings"])
        with st.expander(f"⚠️ {n_w} {'thing' if n_w == 1 else 'things'} to know about this data",
                         expanded=True):
            for w in prof["warnings"][:30]:
                st.markdown(f"- {w['message']}")

with tab_roles:
    st.caption("Choose what each column is for, and correct its kind if KwK guessed wrong. "
               "Identifier, constant and text columns are ignored by tabular models."
               + (f" The {prof['images']['pixels']:,} pixel columns are the pictures' inputs "
                  "and are not listed." if pictures else ""))
    # Whole numbers that look like codes (stores 1, 2, 3, 4, 7): one click makes them categories
    for c in [c for c in prof["columns_info"] if c.get("suggestion")][:8]:
        say, act = st.columns([5, 1], vertical_alignment="center")
        say.info(f"**{c['name']}**: {c['suggestion']['reason']}", icon="💡")
        if act.button("Treat as a category", key=f"code_kind_{c['name']}",
                      help="The model then gives each value its own input instead of reading "
                           "the numbers as amounts (store 7 is not 'more' than store 2)."):
            ss.kinds[c["name"]] = c["suggestion"]["kind"]
            st.rerun()
    rows = []
    for c in prof["columns_info"]:
        if c.get("pixel"):
            continue
        name = c["name"]
        role = "target" if name == ss.target else ss.roles.get(name, "feature")
        if c["kind"] in ("identifier", "constant", "text") and name not in ss.roles and role != "target":
            role = "ignore"
        rows.append({"column": name, "role": role, "kind": c["kind"],
                     "why": c["kind_reason"], "missing %": c["missing_pct"], "unique": c["unique"]})
    table = pd.DataFrame(rows)
    edited = st.data_editor(
        table, key=f"roles_editor_{ld.fingerprint}", width="stretch", hide_index=True,
        disabled=["column", "why", "missing %", "unique"],
        column_config={
            "role": st.column_config.SelectboxColumn("role", options=list(ROLES), required=True,
                                                     help="feature = model input; target = what to predict; ignore = leave out"),
            "kind": st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True,
                                                     help="How the column is treated"),
        })
    new_targets = edited.loc[edited["role"] == "target", "column"].tolist()
    changed = False
    for _, r in edited.iterrows():
        orig = table.loc[table["column"] == r["column"]].iloc[0]
        if r["kind"] != orig["kind"]:
            ss.kinds[r["column"]] = r["kind"]
            changed = True
        if r["role"] != orig["role"] and r["role"] != "target":
            ss.roles[r["column"]] = r["role"]
            if ss.target == r["column"]:
                ss.target = None
            changed = True
    if len(new_targets) > 1:
        st.warning("Only one column can be the target: keep one and set the others to feature "
                   "or ignore.")
    elif new_targets and new_targets[0] != ss.target:
        ss.target = new_targets[0]
        ss.roles.pop(ss.target, None)
        changed = True
    if changed:
        st.rerun()



if not pictures:  # transforms of skewed numbers and informative missing, per column
    from kwk.prep.transforms import EXPLAIN, MISSING_EXPLAIN, TRANSFORMS
    numbers = [c for c in prof["columns_info"] if c["kind"] == "numeric" and c["name"] != ss.target
               and ss.roles.get(c["name"], "feature") == "feature"]
    with tab_roles:
        if numbers:
            st.markdown("#### Transforms and missing values")
            st.caption("How each number column reaches the network. "
                       + " ".join(f"**{k}**: {v}" for k, v in EXPLAIN.items() if k != "none")
                       + " " + MISSING_EXPLAIN)
            tf = ss.transforms
            chosen = dict(tf.get("columns") or {})
            for c in [c for c in numbers if c.get("transform_suggestion")
                      and c["name"] not in chosen][:8]:
                sug = c["transform_suggestion"]
                say, act = st.columns([5, 1], vertical_alignment="center")
                say.info(f"**{c['name']}** is {sug['reason']}", icon="💡")
                if act.button(f"Apply {sug['transform']}", key=f"xf_apply_{c['name']}",
                              help=EXPLAIN[sug["transform"]]):
                    set_transforms(columns={**chosen, c["name"]: sug["transform"]})
                    st.rerun()
            missing = tf.get("missing")
            rows = [{"column": c["name"], "transform": chosen.get(c["name"], "none"),
                     "missing flag": bool(missing.get(c["name"], False)) if missing is not None
                     else c.get("missing_informative") is not None,
                     "missing %": c["missing_pct"],
                     "why": ("missing values go with the target (p = "
                             f"{c['missing_informative']:.1g})" if c.get("missing_informative")
                             is not None else "")
                     + (("; " if c.get("missing_informative") is not None else "")
                        + c["transform_suggestion"]["reason"]
                        if c.get("transform_suggestion") else "")} for c in numbers]
            table_xf = pd.DataFrame(rows)
            version = tf.get("n", 0)  # a new editor after each change (and undo)
            edited_xf = st.data_editor(
                table_xf, key=f"xf_editor_{ld.fingerprint}_{version}", width="stretch",
                hide_index=True, disabled=["column", "missing %", "why"],
                column_config={
                    "transform": st.column_config.SelectboxColumn(
                        "transform", options=["none", *TRANSFORMS], required=True,
                        help="scikit-learn's transform, fitted on the training rows only"),
                    "missing flag": st.column_config.CheckboxColumn(
                        "missing flag", help="Informative missing: a 0/1 input saying the "
                        "value was missing (on by default where missingness goes with the "
                        "target)")})
            new_cols = {r["column"]: r["transform"] for _, r in edited_xf.iterrows()
                        if r["transform"] != "none"}
            new_missing = {r["column"]: bool(r["missing flag"]) for _, r in edited_xf.iterrows()}
            old_missing = dict(zip(table_xf["column"], table_xf["missing flag"]))
            if new_cols != {k: v for k, v in chosen.items() if k in new_missing} \
                    or new_missing != old_missing:
                set_transforms(columns=new_cols,
                                missing=new_missing if new_missing != old_missing else missing)
                st.rerun()
            tinfo = next((c for c in prof["columns_info"] if c["name"] == ss.target), None)
            if tinfo and tinfo["kind"] == "numeric" and (tinfo.get("stats") or {}).get("min") \
                    and tinfo["stats"]["min"] > 0:
                log_y = st.checkbox(f"Learn the target '{ss.target}' on its log",
                                    value=tf.get("target") == "log", key="xf_target_log",
                                    help="For a positive number with a long right tail (prices, "
                                         "incomes): the network learns log(target); predictions "
                                         "and every score are turned back into its own units.")
                if log_y != (tf.get("target") == "log"):
                    set_transforms(target="log" if log_y else None)
                    st.rerun()
            if tf.get("undo"):
                if st.button("↩️ Undo the last transform change", key="xf_undo"):
                    before = tf["undo"][-1]
                    ss.transforms = {**tf, **before, "undo": tf["undo"][:-1],
                                     "n": tf.get("n", 0) + 1}
                    st.rerun()

if not pictures and data_tabs.open("Column profiles"):  # no per-pixel cards
    with tab_cols:
        q = st.text_input("Filter columns", key="col_filter", placeholder="type part of a name",
                          help="Show only the columns whose name contains this text.")
        cols = [c for c in prof["columns_info"] if q.lower() in c["name"].lower()]
        per_row, per_page = 3, 12  # a chart per card: pages keep wide tables quick to show
        if len(cols) > per_page:
            labels = {i: f"columns {i + 1}–{min(i + per_page, len(cols))} ({cols[i]['name'][:30]} …)"
                      for i in range(0, len(cols), per_page)}
            first = st.selectbox(f"{len(cols)} columns: show", list(labels), key="col_page",
                                 format_func=labels.get,
                                 help="Profile cards are shown 12 at a time; pick the next ones here "
                                 "or type part of a name in the filter.")
            cols = cols[first:first + per_page]
        for i in range(0, len(cols), per_row):
            row = st.columns(per_row)
            for slot, c in zip(row, cols[i:i + per_row]):
                with slot.container(border=True):
                    st.markdown(f"**{c['name']}**  \n`{c['kind']}` · {c['missing_pct']:.1f}% missing · "
                                f"{c['unique']:,}{'≈' if c.get('unique_estimated') else ''} unique")
                    if c["kind"] in ("numeric", "categorical", "boolean", "datetime") and (
                            c.get("histogram") or c.get("top")):
                        st.plotly_chart(once(chart_key("column_chart", c, "histogram", "top"),
                                             lambda c=c: column_distribution(c)),
                                        key=f"dist_{c['name']}",
                                        config={"displayModeBar": False})
                    s = c.get("stats")
                    if s:
                        st.caption(" · ".join(f"{k} {'—' if s[key] is None else format(s[key], '.4g')}"
                                              for k, key in (("mean", "mean"), ("sd", "std"),
                                                             ("min", "min"), ("median", "median"),
                                                             ("max", "max"))))
                    for w in c["warnings"]:
                        st.caption(f"⚠️ {w}")

if not pictures and data_tabs.open("Correlations"):  # no pixel correlation heat-map
    with tab_corr:
        corr = prof["correlations"]
        if len(corr["columns"]) < 2:
            st.info("Fewer than two numeric columns: nothing to correlate.")
        else:
            st.plotly_chart(once(chart_key("correlations", corr, "columns", "matrix"),
                                 lambda: correlation_heatmap(corr)), key="corr_heatmap")
            if corr["sampled_rows"] < prof["rows"]:
                st.caption(f"Computed on a random sample of {corr['sampled_rows']:,} rows.")

from kwk.ui import words  # noqa: E402

words.on_page(["feature", "target", "imputation", "standardise", "one-hot", "leakage"],
              key="data_words")
if ss.target:
    st.success(f"Target: **{ss.target}**. Next: check it on the Target page.", icon="🎯")
    st.page_link("pages/2_target.py", label="Next: Target", icon="➡️")
else:
    st.page_link("pages/2_target.py", label="Next: choose the target", icon="➡️")
