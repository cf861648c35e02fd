"""Workbooks ready to send (issue 19): the demo's workbooks, opened as a planner opens them.

* no planner-facing cell holds an English code of :mod:`devzone.vocab` (every code of every
  ``*_LABELS`` dict is collected; the grade letters A–D/T are the grades' own names);
* each sheet's title row says the year or as-of date, the scope (范围) and, on the demo,
  the synthetic-data note, and shows the database as a path (never ``gpkg:////``);
* converted with LibreOffice headless, the zone ranking's zone sheet prints on at most
  2 A4 pages, and every page of the idle ledger repeats its header row.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl

from devzone import vocab

#: Grade letters are labels in their own right (A 类 …): not English codes.
_GRADE_LETTERS = {"A", "B", "C", "D", "T"}


def vocab_codes() -> set[str]:
    """Every code of every label dict in :mod:`devzone.vocab`."""
    codes: set[str] = set()
    for name in dir(vocab):
        table = getattr(vocab, name)
        if name.endswith("_LABELS") and isinstance(table, dict):
            codes |= {k for k in table if isinstance(k, str)}
    return codes - _GRADE_LETTERS


def _cells(path: Path):
    book = openpyxl.load_workbook(path, read_only=True)
    for ws in book.worksheets:
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            for c, value in enumerate(row, start=1):
                yield ws.title, r, c, value


def _workbooks(demo_out: Path) -> list[Path]:
    books = sorted(demo_out.rglob("*.xlsx"))
    names = {p.name for p in books}
    assert {"亩均效益评价_2019.xlsx", "闲置土地台账_2019-12-31.xlsx"} <= names
    assert {"开发区排名_2019.xlsx", "走廊贡献_2019.xlsx"} <= names
    return books


def test_vocab_codes_cover_the_status_codes() -> None:
    codes = vocab_codes()
    assert {"idle_fee", "transition", "boundary", "city", "corridor", "zone"} <= codes
    assert {"none", "actual_start_date", "geometry", "supervision"} <= codes


def test_no_english_code_in_any_demo_workbook(demo_out: Path) -> None:
    codes = vocab_codes()
    snake = re.compile(r"[a-z]+(_[a-z0-9]+)+|[a-z]+:[a-z_]+")
    found = [
        f"{path.name}!{sheet} R{r}C{c}: {value!r}"
        for path in _workbooks(demo_out)
        for sheet, r, c, value in _cells(path)
        if isinstance(value, str) and (value in codes or snake.fullmatch(value))
    ]
    assert not found, "\n".join(found[:20])


def test_title_row_of_every_sheet(demo_out: Path) -> None:
    expected = {
        "亩均效益评价_2019.xlsx": "2019 年",
        "闲置土地台账_2019-12-31.xlsx": "评估基准日 2019-12-31",
        "开发区排名_2019.xlsx": "2019 年",
        "走廊贡献_2019.xlsx": "2019 年",
    }
    for path in _workbooks(demo_out):
        book = openpyxl.load_workbook(path, read_only=True)
        for ws in book.worksheets:
            if ws.title == "说明":  # the method sheet: its rows are the note
                continue
            title = str(next(ws.iter_rows(max_row=1, values_only=True))[0])
            where = f"{path.name}!{ws.title}: {title}"
            assert expected[path.name] in title, where
            assert "范围: 全市" in title, where
            assert "合成数据" in title, where
            assert "gpkg:" not in title, where
            assert str(demo_out / "landbase.gpkg") in title, where


def test_idle_summaries_name_the_zones(demo_out: Path) -> None:
    path = demo_out / "idle" / "闲置土地台账_2019-12-31.xlsx"
    book = openpyxl.load_workbook(path, read_only=True)
    for sheet in ("闲置土地台账", "开发区汇总", "退出候选", "监管分类"):
        rows = list(book[sheet].iter_rows(min_row=2, max_row=3, values_only=True))
        header = list(rows[0])
        j = header.index("开发区代码")
        assert header[j + 1] == "开发区名称", sheet
    summary = list(book["开发区汇总"].iter_rows(min_row=3, values_only=True))
    named = {r[0]: r[1] for r in summary}
    assert named["LA-GX"] == "安徽六安高新技术产业开发区"


# --- printing (LibreOffice headless) ---------------------------------------------------


def _pdf(office_tools: tuple[str, str], xlsx: Path, out: Path) -> Path:
    soffice, _ = office_tools
    out.mkdir(parents=True, exist_ok=True)
    profile = out / "lo-profile"
    res = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    pdf = out / (xlsx.stem + ".pdf")
    assert res.returncode == 0, res.stdout + res.stderr
    assert pdf.exists(), res.stdout + res.stderr
    return pdf


def _pages(office_tools: tuple[str, str], pdf: Path) -> list[str]:
    """The text of each page (pdftotext -f N -l N)."""
    _, pdftotext = office_tools
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    count = text.count("\f") or 1
    return [
        subprocess.run(
            [pdftotext, "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def _only_sheet(xlsx: Path, sheet: str, out: Path) -> Path:
    """A copy of the workbook holding only ``sheet`` (print setup kept)."""
    copy = out / f"{xlsx.stem}_{sheet}.xlsx"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(xlsx, copy)
    book = openpyxl.load_workbook(copy)
    for name in book.sheetnames:
        if name != sheet:
            del book[name]
    book.save(copy)
    return copy


def test_zone_ranking_sheet_prints_on_two_a4_pages(
    demo_out: Path, office_tools: tuple[str, str], tmp_path: Path
) -> None:
    xlsx = _only_sheet(demo_out / "zones" / "开发区排名_2019.xlsx", "排名与指标", tmp_path)
    pages = _pages(office_tools, _pdf(office_tools, xlsx, tmp_path / "pdf"))
    assert 1 <= len(pages) <= 2, len(pages)
    assert "安徽六安高新技术产业开发区" in "".join(pages)
    assert re.search(r"第\s*1\s*页", pages[0])  # the page footer


def test_idle_ledger_repeats_its_header_on_every_page(
    demo_out: Path, office_tools: tuple[str, str], tmp_path: Path
) -> None:
    xlsx = _only_sheet(demo_out / "idle" / "闲置土地台账_2019-12-31.xlsx", "闲置土地台账", tmp_path)
    pages = _pages(office_tools, _pdf(office_tools, xlsx, tmp_path / "pdf"))
    assert len(pages) > 1  # 2,400 units: many pages
    headers = ("宗地代码", "电子监管号", "开发区名称")
    missing = [n for n, page in enumerate(pages, 1) if not all(h in page for h in headers)]
    assert not missing, f"header row missing on pages {missing[:10]} of {len(pages)}"


def test_reports_show_the_database_as_a_path(demo_out: Path) -> None:
    pages = [*demo_out.rglob("*.html"), *demo_out.rglob("*.md"), *demo_out.rglob("*.txt")]
    assert pages
    shown = [p.name for p in pages if "gpkg:/" in p.read_text(encoding="utf-8", errors="replace")]
    assert not shown, shown
    zone_report = (demo_out / "zones" / "开发区排名_2019.html").read_text(encoding="utf-8")
    assert str(demo_out / "landbase.gpkg") in zone_report
