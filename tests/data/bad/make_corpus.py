"""Regenerate the hostile-input corpus: ``python tests/data/bad/make_corpus.py``.

Each file is listed in ``cases.json`` with the command that reads it and a phrase the error
message must contain. The files are committed; this script documents how they were made.
"""
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(0)


def table(n=120):
    return pd.DataFrame({"x1": rng.normal(size=n).round(3), "x2": rng.normal(size=n).round(3),
                         "label": rng.choice(["yes", "no"], n)})


def write(name, data):
    p = HERE / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    p.write_bytes(data)


def png_bytes(w=8, h=8):
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (h, w), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def main():
    t = table()
    write("empty.csv", b"")
    write("whitespace_only.csv", "   \n\n  \n")
    write("binary_disguised.csv", png_bytes(32, 32))
    write("zip_renamed.csv", b"PK\x03\x04" + bytes(rng.integers(0, 255, 500, dtype=np.uint8)))
    write("utf16.csv", t.to_csv(index=False).encode("utf-16"))
    write("utf16_no_bom.csv", t.to_csv(index=False).encode("utf-16-le"))
    write("ragged_rows.csv", "a,b,c\n1,2,3\n4,5,6,7,8\n9,10,11\n")
    write("no_header.csv", "\n".join(f"{i},{i*2.5},{i%3}" for i in range(50)))
    write("one_column.csv", "value\n" + "\n".join(str(i) for i in range(50)))
    write("duplicate_columns.csv", "a,b,a\n" + "\n".join(f"{i},{i},{i}" for i in range(30)))
    write("header_only.csv", "x1,x2,label\n")
    t2 = t.copy(); t2["label"] = ""
    write("all_missing_target.csv", t2.to_csv(index=False))
    t3 = t.copy(); t3["label"] = "yes"
    write("single_class_target.csv", t3.to_csv(index=False))
    t4 = pd.DataFrame({"x1": rng.normal(size=6000).round(3), "x2": rng.normal(size=6000).round(3),
                       "label": [f"class_{i}" for i in rng.permutation(5000).tolist() + list(range(1000))]})
    write("thousands_of_classes.csv", t4.to_csv(index=False))
    t5 = table(); t5["x1"] = t5["x1"].astype(object); t5.loc[::7, "x1"] = "inf"; t5.loc[3, "x2"] = -np.inf
    write("infinities.csv", t5.to_csv(index=False))
    t6 = table(); t6["x1"] = t6["x1"] * 1e306
    write("huge_numbers.csv", t6.to_csv(index=False))
    wide = pd.DataFrame(rng.integers(0, 9, (20, 10000)), columns=[f"c{i}" for i in range(10000)])
    write("ten_thousand_columns.csv", wide.to_csv(index=False))
    t7 = table(40); t7["note"] = "x"; t7.loc[5, "note"] = "A" * 1_500_000
    write("extremely_long_string.csv", t7.to_csv(index=False))
    write("bad_jsonl.jsonl", '{"a": 1, "b": 2}\n{"a": 2, "b": \n{not json}\n')
    write("truncated.parquet", b"PAR1" + bytes(rng.integers(0, 255, 300, dtype=np.uint8)))
    write("not_really.xlsx", b"PK\x03\x04garbage that is not a workbook")
    write("pdf_renamed.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    _excel_formulas()
    _zip_bomb()
    _zip_traversal()
    _zip_not_images()
    _zip_one_class()
    write("spec_unknown_keys.json", json.dumps({
        "kwk_spec": 1, "data": {"target": "label"}, "colour": "blue",
        "layers": [{"type": "Dense", "units": 8, "activaton": "relu"}]}))
    write("spec_wrong_types.json", json.dumps({
        "kwk_spec": 1, "data": {"target": "label"},
        "layers": [{"type": "Dense", "units": "eight"}],
        "training": {"epochs": "many", "learning_rate": -1}}))
    write("spec_absurd_dense.json", json.dumps({
        "kwk_spec": 1, "data": {"target": "label"},
        "layers": [{"type": "Dense", "units": 10**9}]}))
    write("spec_unknown_layer.json", json.dumps({
        "kwk_spec": 1, "data": {"target": "label"}, "layers": [{"type": "Transformer9000"}]}))
    write("spec_not_json.json", "kwk_spec: 1\nlayers: [Dense]\n")
    write("spec_future_version.json", json.dumps({"kwk_spec": 99, "data": {"target": "label"}}))
    write("spec_list.json", "[1, 2, 3]")
    write("ok_table.csv", t.to_csv(index=False))
    write("predict_missing_columns.csv", t[["x1"]].assign(other=1).to_csv(index=False))
    _csv_dialects(t)
    _statistics_files(t)
    _spreadsheets(t)


def _excel_formulas():
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.append(["note"])
    ws.append(["see the data sheet"])
    ws2 = wb.create_sheet("Data")
    ws2.append(["a", "b", "total"])
    for i in range(2, 40):
        ws2.append([i, i * 2, f"=A{i}+B{i}"])  # formulas without saved values
    buf = io.BytesIO()
    wb.save(buf)
    write("formulas_several_sheets.xlsx", buf.getvalue())


def _zip_bomb():
    """One member that inflates 256 KB of zip to 256 MB of zeros (never decompressed by KwK)."""
    zeros = b"\0" * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = b"".join(comp.compress(zeros) for _ in range(256)) + comp.flush()
    crc = 0
    for _ in range(256):
        crc = zlib.crc32(zeros, crc)
    size = 256 << 20
    name = b"cats/bomb.png"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(body), size,
                        len(name), 0) + name
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(body),
                          size, len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(body), 0)
    write("zip_bomb.zip", local + body + central + end)


def _zip_traversal():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("cats/a.png", png_bytes())
        z.writestr("../../../../tmp/kwk_pwned/b.png", png_bytes())
        z.writestr("/etc/kwk_pwned.png", png_bytes())
    write("zip_traversal.zip", buf.getvalue())


def _zip_not_images():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for c in ("cats", "dogs"):
            for i in range(3):
                z.writestr(f"{c}/{i}.png", b"this is not a picture")
    write("zip_not_images.zip", buf.getvalue())


def _zip_one_class():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(5):
            z.writestr(f"photos/{i}.png", png_bytes())
    write("zip_one_class.zip", buf.getvalue())


def _csv_dialects(t):
    """Valid files KwK once got wrong (read, exit 0), and a broken one every parser sees."""
    import csv
    buf = io.StringIO(newline="")
    w = csv.writer(buf)  # RFC 4180, as Python's csv module writes it
    w.writerow(['weight "kg"; (raw)', 'size (cm); "h"', 'label; "a" (b)'])
    w.writerows(t.itertuples(index=False))
    write("quoted_header_names.csv", buf.getvalue())
    write("cr_line_endings.csv", t.to_csv(index=False, lineterminator="\r"))  # old Mac export
    write("unclosed_quote.csv", 'a,b,label\r1,2,"yes\r3,4,no\r5,6,yes\r')


def _statistics_files(t):
    """Mislabelled and damaged SPSS, Stata, SAS and Feather files."""
    write("sav_really_csv.sav", t.to_csv(index=False))
    buf = io.BytesIO()
    t.to_stata(buf, write_index=False, version=118)
    dta = buf.getvalue()
    write("truncated.dta", dta[:len(dta) // 2])  # an interrupted download
    sas_magic = (b"\x00" * 12 + b"\xc2\xea\x81\x60\xb3\x14\x11\xcf\xbd\x92\x08\x00"
                 b"\x09\xc7\x31\x8c\x18\x1f\x10\x11")
    write("damaged.sas7bdat", sas_magic + bytes(rng.integers(0, 255, 600, dtype=np.uint8)))
    write("pdf_renamed.xpt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    buf = io.BytesIO()
    t.to_feather(buf)
    write("truncated.feather", buf.getvalue()[:300])


def _spreadsheets(t):
    """A password-protected .xlsx (encrypted with msoffcrypto-tool, only needed here), an
    Excel 97-2003 workbook with a password (xlwt's workbook with the FILEPASS record that marks
    an encrypted one), a damaged .xls and an .ods without its content."""
    import xlwt
    from msoffcrypto.format.ooxml import OOXMLFile
    plain = io.BytesIO()
    t.to_excel(plain, index=False)
    plain.seek(0)
    enc = io.BytesIO()
    OOXMLFile(plain).encrypt("secret", enc)
    write("password.xlsx", enc.getvalue())
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Data")
    for j, c in enumerate(t.columns):
        ws.write(0, j, c)
    for i, row in enumerate(t.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    xls = io.BytesIO()
    wb.save(xls)
    data = bytearray(xls.getvalue())
    at = data.find(struct.pack("<HH", 0x5C, 112))  # WRITEACCESS: becomes FILEPASS (RC4)
    data[at:at + 8] = struct.pack("<HHHH", 0x2F, 112, 1, 1)
    write("password.xls", bytes(data))
    write("damaged.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.integers(0, 255, 2000, dtype=np.uint8)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    write("no_content.ods", buf.getvalue())


if __name__ == "__main__":
    main()
