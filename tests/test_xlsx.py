"""XLSX for planners: Chinese headers, frozen header, numbers as numbers, drop-downs."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from devzone.reports.xlsx import write_workbook


def test_workbook_is_readable_by_a_planner(tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "parcel_code": ["341502001001GB00001", None],
            "tax_per_mu_wan": [12.5, np.nan],
            "far_ok": pd.array([True, None], dtype="boolean"),
            "disposal_route": [None, None],
        }
    )
    path = write_workbook(
        tmp_path / "台账.xlsx",
        {"宗地": frame},
        labels={"parcel_code": "宗地代码", "tax_per_mu_wan": "亩均税收 (万元/亩)"},
        notes={"宗地": "合成数据 synthetic"},
        validations={"宗地": {"disposal_route": ["股份合作", "收回处置"]}},
    )
    ws = openpyxl.load_workbook(path)["宗地"]
    assert ws["A1"].value == "合成数据 synthetic"
    assert [c.value for c in ws[2]] == [
        "宗地代码",
        "亩均税收 (万元/亩)",
        "far_ok",
        "disposal_route",
    ]
    assert ws.freeze_panes == "A3"
    assert ws["B3"].value == 12.5
    assert ws["B3"].data_type == "n"
    assert ws["C3"].value == "是"
    assert ws["A4"].value is None
    (rule,) = ws.data_validations.dataValidation
    assert str(rule.sqref) == "D3:D4"
    assert rule.formula1 == '"股份合作,收回处置"'


def test_validation_on_unknown_column_is_an_error(tmp_path) -> None:
    with pytest.raises(KeyError, match="nope"):
        write_workbook(
            tmp_path / "x.xlsx", {"s": pd.DataFrame({"a": [1]})}, validations={"s": {"nope": ["x"]}}
        )


def test_text_from_data_is_never_a_formula(tmp_path) -> None:
    frame = pd.DataFrame({"name": ["=1+2", '=HYPERLINK("http://x")']})
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "x.xlsx", {"s": frame}))["s"]
    assert ws["A2"].value == "=1+2"
    assert ws["A2"].data_type == "s"
    assert ws["A3"].data_type == "s"


HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+SUM(1)",
    "-1+2",
    "\tTAB",
    "\rCR",
    "安全文本",
]


def test_text_a_spreadsheet_would_evaluate_is_quoted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    from devzone.reports.xlsx import write_workbook

    path = write_workbook(tmp_path / "h.xlsx", {"s": pd.DataFrame({"name": HOSTILE})})
    ws = openpyxl.load_workbook(path)["s"]
    cells = [ws.cell(row=r, column=1) for r in range(2, len(HOSTILE) + 2)]
    # kept as text, never a formula (XLSX stores a carriage return as _x000D_)
    assert [str(c.value).replace("_x000D_", "\r") for c in cells] == HOSTILE
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True] * 7 + [False]


def test_print_setup_and_number_formats(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    from devzone.reports.xlsx import write_workbook

    df = pd.DataFrame({"idle_fee_wan": [480.0700000000001], "footprint_share": [0.25]})
    ws = openpyxl.load_workbook(write_workbook(tmp_path / "p.xlsx", {"s": df}))["s"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.cell(row=2, column=1).number_format == "#,##0.00"
    assert ws.cell(row=2, column=2).number_format == "0.00%"
