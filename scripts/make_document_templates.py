"""Build the official-document templates (``data/templates/documents/*.docx``).

The five Order 53 documents (调查通知书, 认定书, 听证告知书, 征缴土地闲置费决定书,
收回国有建设用地使用权决定书) are docxtpl templates: their fixed wording sits in the
``.docx`` and the facts of a case fill ``{{ … }}`` placeholders. This script writes them
with python-docx so the binaries in the repository are reproducible (fixed core
properties and zip timestamps: the same fonts give the same bytes)::

    .venv/bin/python scripts/make_document_templates.py            # into data/templates/documents
    .venv/bin/python scripts/make_document_templates.py --out DIR  # elsewhere

Layout after GB/T 9704-2012 (党政机关公文格式): A4, margins 37/35/28/26 mm (top/bottom/
left/right), 发文机关标志 in red, centred, over the 发文字号 and a red separator line;
标题 二号 (22 pt) 小标宋; 主送机关, 正文, 落款 and 成文日期 三号 (16 pt) 仿宋, 正文 first
lines indented two characters, 22 lines a page (fixed 28.95 pt line pitch). Fonts: the
official 方正小标宋简体 and 仿宋_GB2312 when fontconfig finds them, else Noto Serif CJK SC
(fonts-noto-cjk; bold for the title) — the committed templates use Noto Serif CJK SC.
A bureau may replace any template with its own ``.docx`` (same placeholders) in the
folder named by ``[cases] templates_dir``.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "data" / "templates" / "documents"
RED = RGBColor(0xC0, 0x00, 0x00)
#: 二号 (title), 三号 (body); the 发文机关标志 at 30 pt fits a 13-character name on one line.
ERHAO, SANHAO, MASTHEAD = Pt(22), Pt(16), Pt(30)

FACTS = (
    "宗地位于{{ location }}，宗地代码{{ parcel_code }}，电子监管号{{ supervision_no }}，"
    "土地面积{{ area_m2 }}平方米，成交价款{{ price_wan }}万元，"
    "约定动工开发日期{{ agreed_start }}。"
)
APPEAL = (
    "你（单位）如对本{{ kind }}不服，可以自收到本{{ kind }}之日起{{ review_days }}日内"
    "（即{{ review_until }}前）向{{ review_body }}申请行政复议，或者自收到本{{ kind }}之日起"
    "{{ suit_months }}个月内（即{{ suit_until }}前）依法向{{ court }}提起行政诉讼。"
)

#: file → (title, body paragraphs). ``{{ … }}`` are filled by reports/documents.py.
DOCUMENTS: dict[str, tuple[str, list[str]]] = {
    "闲置土地调查通知书.docx": (
        "闲置土地调查通知书",
        [
            "经核查，你（单位）取得的下列国有建设用地涉嫌构成闲置土地：" + FACTS,
            "根据{{ basis }}的规定，我局决定对该宗土地开展调查核实。请你（单位）自收到本通知书"
            "之日起{{ answer_days }}日内（即{{ answer_due }}前），向我局提供土地开发利用情况、"
            "闲置原因以及相关说明等材料。",
            "联系人及电话：{{ contact }}",
        ],
    ),
    "闲置土地认定书.docx": (
        "闲置土地认定书",
        [
            "你（单位）取得的下列国有建设用地：" + FACTS,
            "经调查核实，该宗土地至{{ idle_since }}未动工开发满一年，属于闲置土地。"
            "根据{{ basis }}的规定，认定该宗土地为闲置土地，拟按{{ measure }}处置。",
            APPEAL.replace("{{ kind }}", "认定书"),
        ],
    ),
    "听证告知书.docx": (
        "听证告知书",
        [
            "你（单位）取得的下列国有建设用地已被认定为闲置土地：" + FACTS,
            "我局拟对该宗土地作出{{ measure }}的决定。根据{{ basis }}的规定，你（单位）有要求"
            "举行听证的权利。如要求听证，请于收到本告知书之日起{{ hearing_days }}个工作日内"
            "（即{{ hearing_due }}前）向我局书面提出；逾期未提出的，视为放弃听证权利。",
        ],
    ),
    "征缴土地闲置费决定书.docx": (
        "征缴土地闲置费决定书",
        [
            "你（单位）取得的下列国有建设用地：" + FACTS,
            "该宗土地自{{ idle_since }}起闲置，已闲置满一年。根据{{ basis }}的规定，"
            "我局决定按照出让或者划拨价款的{{ fee_rate }}向你（单位）征缴土地闲置费"
            "{{ fee_wan }}万元。请你（单位）自本决定书送达之日起{{ pay_days }}日内"
            "（即{{ pay_due }}前）缴纳。土地闲置费不得列入生产成本。",
            APPEAL.replace("{{ kind }}", "决定"),
        ],
    ),
    "收回国有建设用地使用权决定书.docx": (
        "收回国有建设用地使用权决定书",
        [
            "你（单位）取得的下列国有建设用地：" + FACTS,
            "该宗土地自{{ idle_since }}起闲置，未动工开发已满两年。根据{{ basis }}的规定，"
            "我局决定无偿收回该宗土地的国有建设用地使用权。请你（单位）自本决定书送达之日起"
            "{{ cancel_days }}日内（即{{ cancel_due }}前）到我局办理国有建设用地使用权注销登记，"
            "交回土地权利证书。",
            APPEAL.replace("{{ kind }}", "决定"),
        ],
    ),
}


def _font_available(name: str) -> bool:
    if not shutil.which("fc-list"):
        return False
    res = subprocess.run(["fc-list", f":family={name}"], capture_output=True, text=True)
    return bool(res.stdout.strip())


def pick_fonts() -> tuple[str, str]:
    """(title font, body font): the official ones when installed, else Noto Serif CJK SC."""
    title = next((f for f in ("方正小标宋简体", "FZXiaoBiaoSong-B05S") if _font_available(f)), None)
    body = next((f for f in ("仿宋_GB2312", "FangSong", "仿宋") if _font_available(f)), None)
    return title or "Noto Serif CJK SC", body or "Noto Serif CJK SC"


def _run(paragraph, text: str, font: str, size: Pt, *, bold: bool = False, color=None):
    run = paragraph.add_run(text)
    run.font.name = font
    run.font.size = size
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if color is not None:
        run.font.color.rgb = color
    return run


def _para(doc, text: str, font: str, size: Pt, *, align=None, indent: bool = False, **kw):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28.95)
    fmt.space_before = fmt.space_after = Pt(0)
    if align is not None:
        p.alignment = align
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
    _run(p, text, font, size, **kw)
    return p


def _red_rule(paragraph) -> None:
    """The red separator line under the 发文字号 (a bottom border)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", "C00000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def build(title: str, body: list[str], fonts: tuple[str, str]):
    title_font, body_font = fonts
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    head = _para(doc, "{{ issuer }}", title_font, MASTHEAD, align=center, color=RED)
    head.paragraph_format.line_spacing = Pt(44)
    _para(doc, "", body_font, SANHAO)
    _red_rule(_para(doc, "{{ doc_no }}", body_font, SANHAO, align=center))
    _para(doc, "", body_font, SANHAO)
    _para(doc, title, title_font, ERHAO, align=center, bold=title_font == "Noto Serif CJK SC")
    _para(doc, "", body_font, SANHAO)
    _para(doc, "{{ holder }}：", body_font, SANHAO)
    for text in body:
        _para(doc, text, body_font, SANHAO, indent=True)
    _para(doc, "", body_font, SANHAO)
    _para(doc, "{{ issuer }}", body_font, SANHAO, align=right)
    _para(doc, "{{ date_cn }}", body_font, SANHAO, align=right)
    _para(doc, "", body_font, SANHAO)
    _para(doc, "{{ synthetic_note }}", body_font, Pt(12))
    props = doc.core_properties
    props.author = props.last_modified_by = "devzone"
    props.title = title
    props.created = props.modified = datetime(2026, 1, 1)
    props.revision = 1
    return doc


def _fixed_zip(blob: bytes) -> bytes:
    """The same archive with fixed timestamps, so rebuilding gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--title-font", help="font of the 发文机关标志 and 标题")
    parser.add_argument("--body-font", help="font of the body (三号仿宋)")
    args = parser.parse_args()
    title_font, body_font = pick_fonts()
    fonts = (args.title_font or title_font, args.body_font or body_font)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (title, body) in DOCUMENTS.items():
        buf = io.BytesIO()
        build(title, body, fonts).save(buf)
        (args.out / name).write_bytes(_fixed_zip(buf.getvalue()))
        print(f"{args.out / name}  (title font {fonts[0]}, body font {fonts[1]})")


if __name__ == "__main__":
    main()
