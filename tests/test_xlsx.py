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
