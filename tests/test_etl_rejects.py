"""Issue 20: rejects carry the record and load back; every CSV/XLSX devzone writes is
safe to open; passwords never leak; every sheet and layer is counted."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text
from test_etl_builders import (
    INDICATOR_HEADER,
    SUPPLY_HEADER,
    indicator_rows,
    parcels_frame,
    supply_rows,
    write_xlsx,
)
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent / "adversarial"))

from corpus import HOSTILE

from devzone.cli.main import app
from devzone.etl.csvsafe import FORMULA_STARTS
from devzone.etl.load import load_paths


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _evaluated(path: Path) -> list[str]:
    """Cells Excel would evaluate when it opens this CSV."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row if c.startswith(FORMULA_STARTS)]


def test_rejects_file_corrected_by_a_clerk_loads_back(engine, tmp_path):
    rows = supply_rows(6)
    rows[1][SUPPLY_HEADER.index("面积(公顷)")] = "-3"  # negative area
    rows[4][SUPPLY_HEADER.index("约定开工时间")] = "2022年01月01日"  # after 约定竣工时间
    src = _csv(tmp_path / "供地.csv", SUPPLY_HEADER, rows)
    rej = tmp_path / "rejects.csv"
    s = load_paths(engine, [src], rejects=rej)
    assert (s.read, s.inserted, s.rejected) == (6, 4, 2)
    table = pd.read_csv(rej, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    # the original record beside file, row, field, value, reason
    assert list(table.columns)[:5] == ["file", "row", "field", "value", "reason"]
    assert table["电子监管号"].tolist() == [rows[1][1], rows[4][1]]
    assert table.loc[0, "面积(公顷)"] == "'-3"  # neutralised: Excel shows -3 as text
    # the clerk fixes the two cells in Excel and saves (Excel drops the ' prefix)
    table.loc[0, "面积(公顷)"] = "2.5"
    table.loc[1, "约定开工时间"] = "2019年07月21日"
    table.to_csv(rej, index=False, encoding="utf-8-sig")
    back = load_paths(engine, [rej], rejects=tmp_path / "rejects2.csv")
    assert (back.read, back.inserted, back.rejected) == (2, 2, 0)
    assert back.files[0].kind == "supply"
    assert _count(engine, "land_supply") == 6


def test_rejects_file_unwritable_loads_nothing(engine, tmp_path):
    rows = supply_rows(3)
    rows[0][SUPPLY_HEADER.index("面积(公顷)")] = "-3"
    src = _csv(tmp_path / "供地.csv", SUPPLY_HEADER, rows)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    from devzone.errors import InputError

    load_paths(engine, [_csv(tmp_path / "ok.csv", SUPPLY_HEADER, supply_rows(1))])
    before = _count(engine, "land_supply")
    with pytest.raises(InputError, match=r"rejects file cannot be written.*nothing was loaded"):
        load_paths(engine, [src], rejects=blocker / "rejects.csv")
    assert _count(engine, "land_supply") == before


def test_every_csv_devzone_writes_is_safe_to_open(engine, db_url, tmp_path):
    # supply rows with hostile names, one row rejected per hostile string
    rows = []
    for i, bad in enumerate(HOSTILE):
        r = supply_rows(i + 1)[-1]
        r[SUPPLY_HEADER.index("土地使用权人")] = bad  # matches no enterprise → _holders.csv
        r[SUPPLY_HEADER.index("项目名称")] = bad
        rows.append(r)
    rejected = supply_rows(len(HOSTILE) + 1)[-1]
    rejected[SUPPLY_HEADER.index("面积(公顷)")] = HOSTILE[0]
    rejected[SUPPLY_HEADER.index("项目位置")] = HOSTILE[1]
    rows.append(rejected)
    firms = indicator_rows(2, (2019,))
    firms[0][INDICATOR_HEADER.index("企业名称")] = HOSTILE[2]
    ind = write_xlsx(tmp_path / "指标.xlsx", INDICATOR_HEADER, firms)
    src = _csv(tmp_path / "供地.csv", SUPPLY_HEADER, rows)
    parcels = parcels_frame(len(HOSTILE))
    parcels["QLR"] = HOSTILE  # holders that match no enterprise → rejects_holders.csv
    pj = tmp_path / "宗地.geojson"
    parcels.to_file(pj, driver="GeoJSON", engine="pyogrio")
    rej = tmp_path / "rejects.csv"
    s = load_paths(engine, [ind, src, pj], rejects=rej)
    assert s.rejected >= 1
    holders = tmp_path / "rejects_holders.csv"
    assert rej.exists()
    assert holders.exists()
    report = tmp_path / "link_report.csv"
    r = CliRunner().invoke(app, ["etl", "link", "--db", db_url, "--report", str(report)])
    assert r.exit_code == 0, r.output
    for written in (rej, holders, report):
        assert written.exists(), written
        assert _evaluated(written) == [], written
    # the hostile text is kept, as text
    assert HOSTILE[1] in rej.read_text(encoding="utf-8-sig")


def test_xlsx_writer_leaves_no_formula_cell(tmp_path):
    from devzone.reports.xlsx import write_workbook

    frame = pd.DataFrame({"name": HOSTILE, "tax_wan": range(len(HOSTILE))})
    path = write_workbook(tmp_path / "x.xlsx", {"表": frame})
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_STARTS)]
    assert all(c.quotePrefix for c in texts if c.style_id), [c.value for c in texts]


PASSWORDS = ["ab@SeCrEt", "a:b/c%d", "p/w@x:y", "%40%3A", "s3cr3t"]


@pytest.mark.parametrize("password", PASSWORDS)
def test_passwords_never_leak_from_a_command(password, tmp_path):
    url = f"postgresql://planner:{password}@127.0.0.1:1/landbase"
    for args in (["db", "info", "--db", url], ["etl", "link", "--db", url]):
        r = CliRunner().invoke(app, args)
        out = r.output + (str(r.exception) if r.exception else "")
        assert r.exit_code != 0
        secret = password.split("@")[-1] if "@" in password else password
        for piece in {password, secret, *password.split("@")}:
            if len(piece) >= 3:
                assert piece not in out, (args, out)


def test_every_sheet_loaded_each_on_its_own_line_hidden_skipped(engine, tmp_path):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, year, n, state in (
        ("2018", 2018, 3, "visible"),
        ("2019", 2019, 4, "visible"),
        ("草稿", 2017, 5, "hidden"),
    ):
        ws = wb.create_sheet(name)
        ws.append(INDICATOR_HEADER)
        for r in indicator_rows(n, (year,)):
            ws.append(r)
        ws.sheet_state = state
    path = tmp_path / "指标.xlsx"
    wb.save(path)
    s = load_paths(engine, [path])
    assert [f.file.rsplit("[", 1)[-1] for f in s.files] == ["sheet 2018]", "sheet 2019]"]
    assert s.read == 3 + 4 == s.inserted
    assert [d["reason"].split(" ")[0] for d in s.skipped] == ["hidden"]
    s2 = load_paths(engine, [path], hidden_sheets=True)
    assert s2.read == 3 + 4 + 5


def test_streamed_csv_is_counted_quote_aware_too(engine, tmp_path, monkeypatch):
    import devzone.etl.load as etl_load
    from devzone.errors import InputError

    monkeypatch.setattr(etl_load, "STREAM_CSV_BYTES", 0)  # stream even a small file
    rows = supply_rows(6)
    lines = [",".join(SUPPLY_HEADER)] + [",".join(str(c).replace(",", "") for c in r) for r in rows]
    lines[2] = lines[2].replace("示例精密机械项目2", '"示例精密机械项目2')  # a stray quote …
    lines[6] = lines[6].replace("示例精密机械项目6", '示例精密机械项目6"')  # … closed 4 lines on
    path = tmp_path / "stray.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"stray\.csv.*(quote|records)"):
        load_paths(engine, [path])
    assert _count(engine, "land_supply") == 0
    ok = tmp_path / "ok.csv"
    ok.write_text("\n".join([lines[0], *(x.replace('"', "") for x in lines[1:])]) + "\n", "utf-8")
    s = load_paths(engine, [ok])
    assert (s.read, s.inserted) == (6, 6)
