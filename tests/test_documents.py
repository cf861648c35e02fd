"""Official documents (调查通知书, 认定书, 听证告知书, 决定书) as DOCX: escaped text, a
bureau's own template, and every file opening in LibreOffice with the parcel's facts
and (for the determination and the decisions) the appeal paragraph.

The LibreOffice test skips on a developer machine without ``soffice``/``pdftotext`` and
fails under ``CI=true`` (the ``office_tools`` fixture of ``conftest.py``).
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from devzone.landuse.cases import case_states
from devzone.policy import load_policy, replace
from devzone.reports.documents import SHIPPED_TEMPLATES, render_case_documents

REPO = Path(__file__).resolve().parents[1]
POLICY = load_policy()
T = pd.Timestamp
HOLDER = "<A&B> 新材料有限公司"
LOCATION = "六安市金安区经三路与纬二路交叉口东北侧"
SUPERVISION_NO = "3415022017B00123"


def _cases() -> tuple[pd.DataFrame, pd.DataFrame]:
    facts = {
        "procedure": "idle",
        "holder": HOLDER,
        "location": LOCATION,
        "supervision_no": SUPERVISION_NO,
        "area_m2": 33350.5,
        "price_wan": 1200.0,
        "agreed_start_date": T("2017-03-01"),
        "idle_since": T("2018-03-01"),
        "opened_on": T("2019-02-20"),
    }
    cases = pd.DataFrame(
        [
            {
                **facts,
                "case_id": "IDLE-A-1",
                "parcel_code": "A",
                "measure": "idle_fee",
                "fee_due_wan": 240.0,
            },
            {
                **facts,
                "case_id": "IDLE-B-1",
                "parcel_code": "B",
                "measure": "idle_recover",
                "fee_due_wan": None,
            },
        ]
    )
    steps = [
        ("notice_served", "2019-03-01", "六自然资闲〔2019〕0001号"),
        ("determination_served", "2019-04-10", "六自然资闲〔2019〕0002号"),
        ("hearing_notice_served", "2019-04-19", None),
    ]
    rows = [
        {"case_id": cid, "event_type": t, "event_date": T(d), "doc_no": n}
        for cid in ("IDLE-A-1", "IDLE-B-1")
        for t, d, n in steps
    ]
    events = pd.DataFrame(rows)
    return case_states(cases, events, policy=POLICY.cases, as_of="2019-06-01"), events


def _text(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_every_document_is_written_and_data_text_is_escaped(tmp_path: Path) -> None:
    cases, events = _cases()
    paths = render_case_documents(cases, events, tmp_path, POLICY, as_of=T("2019-06-10").date())
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [
            f"{cid}_{title}.docx"
            for cid in ("IDLE-A-1", "IDLE-B-1")
            for title in ("闲置土地调查通知书", "闲置土地认定书", "听证告知书")
        ]
        + [
            "IDLE-A-1_征缴土地闲置费决定书_草稿.docx",
            "IDLE-B-1_收回国有建设用地使用权决定书_草稿.docx",
        ]
    )
    for path in paths:
        text = _text(path)
        assert f"{HOLDER}：" in text  # rendered as text, not markup
        assert "{{" not in text
        assert "{%" not in text
        xml = zipfile.ZipFile(path).read("word/document.xml").decode()
        assert "&lt;A&amp;B&gt;" in xml
    fee = _text(tmp_path / "IDLE-A-1_征缴土地闲置费决定书_草稿.docx")
    assert "征缴土地闲置费240.00万元" in fee
    assert "（即2019年7月10日前）缴纳" in fee
    assert "六自然资闲〔2019〕0001号" in fee  # the first proposed number of the year
    assert "60日内（即2019年8月9日前）向六安市人民政府申请行政复议" in fee
    assert "6个月内（即2019年12月10日前）依法向有管辖权的人民法院提起行政诉讼" in fee
    notice = _text(tmp_path / "IDLE-A-1_闲置土地调查通知书.docx")
    assert "六自然资闲〔2019〕0001号" in notice
    assert "（即2019年3月31日前）" in notice
    assert "2019年3月1日" in notice  # 成文日期 from the case
    hearing = _text(tmp_path / "IDLE-A-1_听证告知书.docx")
    assert "六自然资闲〔2019〕    号" in hearing
    assert "（即2019年4月26日前）" in hearing


def test_a_bureau_template_in_the_configured_folder_replaces_the_shipped_one(
    tmp_path: Path,
) -> None:
    own = tmp_path / "bureau"
    own.mkdir()
    doc = Document()
    doc.add_paragraph("本局自定义听证告知书 {{ holder }} {{ hearing_due }}")
    doc.save(str(own / "听证告知书.docx"))
    policy = POLICY.model_copy(update={"cases": replace(POLICY.cases, templates_dir=str(own))})
    cases, events = _cases()
    paths = render_case_documents(
        cases, events, tmp_path / "out", policy, as_of=T("2019-06-10").date()
    )
    hearing = _text(tmp_path / "out" / "IDLE-A-1_听证告知书.docx")
    assert hearing == f"本局自定义听证告知书 {HOLDER} 2019年4月26日"
    notice = _text(tmp_path / "out" / "IDLE-A-1_闲置土地调查通知书.docx")
    assert "闲置土地调查通知书" in notice  # the others still come from the shipped folder
    assert len(paths) == 8


def test_shipped_templates_are_what_the_script_builds(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import make_document_templates as make
    finally:
        sys.path.pop(0)
    if make.pick_fonts() != ("Noto Serif CJK SC", "Noto Serif CJK SC"):
        pytest.skip("this machine has other CJK fonts than the committed templates")
    for name, (title, body) in make.DOCUMENTS.items():
        buf = io.BytesIO()
        make.build(title, body, make.pick_fonts()).save(buf)
        assert make._fixed_zip(buf.getvalue()) == (SHIPPED_TEMPLATES / name).read_bytes(), name
    section = Document(str(SHIPPED_TEMPLATES / "听证告知书.docx")).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_every_document_converts_to_pdf_with_the_facts_and_the_appeal(
    tmp_path: Path, office_tools: tuple[str, str]
) -> None:
    soffice, pdftotext = office_tools
    cases, events = _cases()
    paths = render_case_documents(cases, events, tmp_path, POLICY, as_of=T("2019-06-10").date())
    profile = tmp_path / "lo-profile"
    res = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path / "pdf"), *map(str, paths)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    for path in paths:
        pdf = tmp_path / "pdf" / path.with_suffix(".pdf").name
        assert pdf.exists(), f"{path.name} did not convert: {res.stdout[-500:]}"
        text = subprocess.run(
            [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        flat = "".join(text.split())
        assert SUPERVISION_NO in flat, path.name
        assert "<A&B>新材料有限公司" in flat, path.name
        assert "33,350.50平方米" in flat
        assert "六安市自然资源和规划局" in flat
        if any(k in path.name for k in ("认定书", "决定书")):
            assert "申请行政复议" in flat, path.name
            assert "提起行政诉讼" in flat, path.name
            assert "60日内" in flat
            assert "6个月内" in flat
