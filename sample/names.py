"""Fictional enterprise names and well-formed identifiers for the synthetic sample.

Names are built as ``<place><字号><industry word>有限公司`` where the 字号 (trade name)
is two (or, for very large samples, three) syllables drawn from a list of neutral,
GBK-encodable characters chosen so that no combination is a well-known brand. The
tests check the generated names against a denylist (:data:`WELL_KNOWN_FIRMS` plus
every holder in the land-market sample of ``../shared/reference/landchina``).

Identifiers follow the shapes checked by :mod:`devzone.codes`: 统一社会信用代码 with a
correct GB 32100-2015 check character, 电子监管号 and 宗地代码.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from devzone.codes import CREDIT_ALPHABET

__all__ = [
    "SYLLABLES",
    "WELL_KNOWN_FIRMS",
    "credit_codes",
    "enterprise_names",
]

#: Neutral syllables for trade names (字号). None is a famous brand on its own and the
#: pairs are checked against :data:`WELL_KNOWN_FIRMS` in the tests.
SYLLABLES = tuple("禾岚澄沐岱溪朗棠桐衡弘瀚峻坤黎铭沛琪森拓崧骁屹昱臻舟卓翊霁栎樾濠芃璟渠翎岑蔚珂")

#: Place prefixes (Lu'an and its units), cycled by the firm's county.
PLACES = {
    "341502": "六安市金安区",
    "341503": "六安市裕安区",
    "341504": "六安市叶集区",
    "341522": "霍邱县",
    "341523": "舒城县",
    "341524": "金寨县",
    "341525": "霍山县",
}

#: Industry name (``industries.csv``) → business words used in names.
INDUSTRY_WORDS = {
    "装备制造": ("精密机械", "智能装备", "机电设备"),
    "机械装备": ("机械装备", "精工机械", "重型机械"),
    "机械": ("机械制造", "精工机械", "五金机械"),
    "轻工纺织": ("纺织", "塑胶制品", "服饰"),
    "建材": ("新型建材", "建材科技", "混凝土制品"),
    "汽车零配件": ("汽车零部件", "汽配科技", "车用部件"),
    "汽车摩托车零配件": ("汽车部件", "摩配", "车辆配件"),
    "木竹产品加工": ("竹木制品", "木业", "竹业"),
    "家具": ("家具", "家居用品", "木作家具"),
    "铁矿加工": ("矿产品加工", "冶金材料", "铁精粉"),
    "循环经济": ("再生资源", "环保科技", "资源利用"),
    "婴童用品": ("婴童用品", "童车", "玩具"),
    "农副产品加工": ("食品", "农产品加工", "粮油"),
    "电子信息": ("电子科技", "电子", "信息科技"),
    "电光源": ("照明", "光电", "灯具"),
    "新材料": ("新材料科技", "材料", "复合材料"),
    "医药": ("生物医药", "药业", "医疗用品"),
    "家电": ("电器", "家电配件", "小家电"),
    "包装": ("包装制品", "包装材料", "纸制品"),
    "食品": ("食品", "饮品", "调味品"),
    "纺织服装": ("服装", "制衣", "针织"),
}

#: Well-known Chinese companies and brands that must never appear in generated names
#: (tests add every holder of the land-market sample).
WELL_KNOWN_FIRMS = (
    "华为",
    "比亚迪",
    "联想",
    "海尔",
    "美的",
    "格力",
    "奇瑞",
    "江淮",
    "京东方",
    "蔚来",
    "科大讯飞",
    "阳光电源",
    "恒瑞",
    "万科",
    "碧桂园",
    "阿里巴巴",
    "腾讯",
    "小米",
    "长安",
    "吉利",
    "长城",
    "海信",
    "TCL",
    "宁德时代",
    "国轩",
    "应流",
    "丰原",
    "古井",
    "口子窖",
    "迎驾",
    "六安钢铁",
    "皖西",
    "安凯",
    "合力",
    "中联",
    "三一",
    "徐工",
    "柳工",
    "海螺",
    "中国石化",
    "中石油",
    "中建",
    "中铁",
    "宝钢",
    "鞍钢",
    "娃哈哈",
    "伊利",
    "蒙牛",
    "双汇",
    "好孩子",
    "红豆",
    "雅戈尔",
    "波司登",
    "欧普",
    "雷士",
    "佛山照明",
    "三只松鼠",
)


def enterprise_names(
    county_codes: np.ndarray, industries: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Unique fictional names ``<place><字号><word>有限公司`` (vectorised).

    Parameters
    ----------
    county_codes
        6-digit county adcode of each firm (selects the place prefix).
    industries
        Industry name of each firm (selects the business word).
    rng
        Random generator (determinism).

    Returns
    -------
    numpy.ndarray of str
        One name per firm; unique within the call.
    """
    n = len(county_codes)
    k = len(SYLLABLES)
    syl = np.array(SYLLABLES)
    # Two, then three distinct syllables while that space is ample, else four: a
    # unique 字号 per firm.
    if n <= k * (k - 1) // 2:
        pick = rng.choice(k * (k - 1), size=n, replace=False)
        a, b = pick // (k - 1), pick % (k - 1)
        brand = np.char.add(syl[a], syl[b + (b >= a)])
    elif n <= k * (k - 1) * (k - 2) // 2:
        pick = rng.choice(k * (k - 1) * (k - 2), size=n, replace=False)
        a, rest = pick // ((k - 1) * (k - 2)), pick % ((k - 1) * (k - 2))
        b, c = rest // (k - 2), rest % (k - 2)
        b = b + (b >= a)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        c = c + (c >= lo)
        c = c + (c >= hi)
        brand = np.char.add(np.char.add(syl[a], syl[b]), syl[c])
    else:
        if n > k**4:
            raise ValueError(f"too many firms for unique names: {n} > {k**4}")
        pick = rng.choice(k**4, size=n, replace=False)
        brand = syl[pick % k]
        for p in range(1, 4):
            brand = np.char.add(syl[(pick // k**p) % k], brand)
    words = np.empty(n, dtype=object)
    which = rng.integers(0, 3, size=n)
    for ind, choices in INDUSTRY_WORDS.items():
        m = industries == ind
        if m.any():
            words[m] = np.array(choices, dtype=object)[which[m]]
    words[pd.isna(words)] = "实业"
    places = pd.Series(county_codes).map(PLACES).fillna("六安市").to_numpy(dtype=object)
    return (places + brand.astype(object) + words + "有限公司").astype(str)


def credit_codes(county_codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unique, well-formed 统一社会信用代码 ``91<adcode>MA2<5 chars><org check><check>``.

    The organisation part is random but unique (drawn without replacement); the 18th
    character is the GB 32100-2015 check character computed vectorised.
    """
    n = len(county_codes)
    alpha = np.array(list(CREDIT_ALPHABET))
    base = len(alpha)
    pick = rng.choice(base**5, size=n, replace=False)
    digits = np.stack([(pick // base**p) % base for p in range(4, -1, -1)], axis=1)
    org_check = rng.integers(0, 10, size=n)
    body = np.char.add(np.char.add("91", county_codes.astype(str)), "MA2")
    for j in range(5):
        body = np.char.add(body, alpha[digits[:, j]])
    body = np.char.add(body, org_check.astype(str))
    # vectorised check character over the 17 first characters
    value = {ch: i for i, ch in enumerate(CREDIT_ALPHABET)}
    lut = np.zeros(128, dtype=np.int64)
    for ch, v in value.items():
        lut[ord(ch)] = v
    codes17 = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17)
    weights = np.array((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28))
    total = (lut[codes17] * weights).sum(axis=1)
    check = alpha[(31 - total % 31) % 31]
    return np.char.add(body, check).astype(str)
