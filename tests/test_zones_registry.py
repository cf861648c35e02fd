"""Lead/main industry validation (1 首位产业, 2–3 主导产业) and zone ranking rules."""

from __future__ import annotations

import pandas as pd
import pytest

from devzone.errors import ConfigError, InputError
from devzone.policy import load_policy, replace
from devzone.policy.sections import ScoreIndicator
from devzone.zones.ranking import composite_score, rank_change, rank_within_type
from devzone.zones.registry import check_zones, load_industries, validate_zones

ZONES = pd.DataFrame(
    {
        "zone_code": ["OK2", "OK3", "NOLEAD", "TWOLEAD", "ONEMAIN", "FOURMAIN", "UNKNOWN",
                      "LEADMAIN", "DUP"],
        "name": ["a", "b", "c", "d", "e", "f", "g", "h", "i"],
        "lead_industry": ["装备制造", "电子信息", "", "装备制造、建材", "装备制造", "装备制造",
                          "火箭", "装备制造", "装备制造"],
        "main_industries": ["轻工纺织、建材", "新材料、装备制造、食品", "建材、食品", "食品、医药",
                            "建材", "建材、食品、医药、家电", "建材、食品",
                            "装备制造、建材", "建材、建材"],
    }
)  # fmt: skip


def test_validation_rules() -> None:
    r = validate_zones(ZONES, load_industries(), policy=load_policy().zones)
    r = r.set_index("zone_code")
    assert r["ok"].to_dict() == {
        "OK2": True, "OK3": True, "NOLEAD": False, "TWOLEAD": False, "ONEMAIN": False,
        "FOURMAIN": False, "UNKNOWN": False, "LEADMAIN": False, "DUP": False,
    }  # fmt: skip
    assert "未填写首位产业" in r.at["NOLEAD", "problems"]
    assert "首位产业应为1个" in r.at["TWOLEAD", "problems"]
    assert "填写了1个" in r.at["ONEMAIN", "problems"]
    assert "填写了4个" in r.at["FOURMAIN", "problems"]
    assert "火箭" in r.at["UNKNOWN", "problems"]
    assert "不应同时列为主导产业" in r.at["LEADMAIN", "problems"]
    assert "重复" in r.at["DUP", "problems"]
    assert r.at["OK3", "main_count"] == 3


def test_check_zones_raises_naming_every_bad_zone() -> None:
    with pytest.raises(InputError) as info:
        check_zones(ZONES, load_industries(), policy=load_policy().zones)
    msg = str(info.value)
    assert "7 zone(s)" in msg
    for code in ("NOLEAD", "TWOLEAD", "ONEMAIN", "FOURMAIN", "UNKNOWN", "LEADMAIN", "DUP"):
        assert code in msg
    assert "OK2" not in msg


def test_main_count_comes_from_the_typed_policy() -> None:
    """[zones] main_min/main_max decide the count (no number in code): 2–4 admits FOURMAIN."""
    wider = replace(load_policy().zones, main_max=4)
    r = validate_zones(ZONES, load_industries(), policy=wider).set_index("zone_code")
    assert r.at["FOURMAIN", "ok"]
    assert not r.at["ONEMAIN", "ok"]


def test_missing_vocabulary_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="vocabulary"):
        load_industries(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,prefixes\n装备制造,33\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_industries(bad)
    assert info.value.field == "industry_name"


def test_composite_score_by_hand() -> None:
    # x: weight 3, ideal 1, worst 0; y: weight 1, ideal 0, worst 0.1 (less is better).
    # zone 1: x 0.5 → 0.5, y 0.02 → (0.02 − 0.1)/(0 − 0.1) = 0.8 → (3×0.5 + 0.8)/4 = 57.5
    # zone 2: x 1.5 → clipped 1, y missing → left out, weights renormalised over x
    # alone: 3×1/3 = 100 (not 75: a missing input is not a 0), on 3/4 of the weight.
    df = pd.DataFrame({"x": [0.5, 1.5], "y": [0.02, None]})
    w = {
        "x": ScoreIndicator(weight=3.0, ideal=1.0, worst=0.0),
        "y": ScoreIndicator(weight=1.0, ideal=0.0, worst=0.1),
    }
    kw = {"decimals": 6, "min_known_weight_share": 0.5}
    out = composite_score(df, weights=w, **kw)
    assert out["score"].tolist() == pytest.approx([57.5, 100.0])
    assert out["missing_indicators"].tolist() == ["", "y"]
    assert out["known_weight_share"].tolist() == [1.0, 0.75]
    assert pd.isna(out.loc[1, "s_y"])
    # Too little known: zone 2 rests on 3/4 of the weight; with a floor of 80 % it is
    # not scored (and so not ranked).
    strict = composite_score(df, weights=w, decimals=6, min_known_weight_share=0.8)
    assert strict["score"].tolist()[0] == pytest.approx(57.5)
    assert pd.isna(strict["score"].tolist()[1])
    # y missing for every zone: dropped from the weights → x alone: 50 and 100.
    df["y"] = None
    out = composite_score(df, weights=w, **kw)
    assert out["score"].tolist() == pytest.approx([50.0, 100.0])
    assert out.attrs["dropped"] == ["y"]
    with pytest.raises(ConfigError, match="no such zone indicator"):
        composite_score(df, weights={"z": ScoreIndicator(weight=1.0, ideal=1.0, worst=0.0)}, **kw)


def test_equal_zone_figures_tie() -> None:
    # Issue 13 item 6 for zones: 315 万元 on 31.5 亩 and 60 万元 on 6 亩 are both
    # 10 万元/亩 of tax (ideal 30, worst 0 → 1/3 each); computed through m² one is
    # 9.999999999999998. At score_decimals = 6 both score 33.333333 and share rank 1.
    from devzone.units import M2_PER_MU

    df = pd.DataFrame({"t": [315 / (21000 / M2_PER_MU), 60 / 6]})
    assert df["t"].iloc[0] != df["t"].iloc[1]
    w = {"t": ScoreIndicator(weight=1.0, ideal=30.0, worst=0.0)}
    out = composite_score(df, weights=w, decimals=6, min_known_weight_share=0.5)
    ranks = rank_within_type(out["score"], pd.Series(["工业主导型"] * 2))
    assert ranks.tolist() == [1, 1]


def test_rank_within_type_and_change() -> None:
    cur = pd.DataFrame(
        {
            "zone_code": ["A", "B", "C", "D"],
            "zone_type": ["工业主导型", "工业主导型", "工业主导型", "产城融合型"],
            "score": [70.0, 80.0, 60.0, 50.0],
        }
    )
    cur["rank"] = rank_within_type(cur["score"], cur["zone_type"])
    assert cur["rank"].tolist() == [2, 1, 3, 1]
    prev = pd.DataFrame(
        {
            "zone_code": ["A", "B", "C", "D"],
            "zone_type": ["工业主导型", "工业主导型", "产城融合型", "产城融合型"],
            "rank": [1, 3, 1, 2],
        }
    )
    # A 1 → 2: −1 (退位); B 3 → 1: +2 (进位); C changed type: no comparable rank;
    # D 2 → 1: +1.
    change = rank_change(cur, prev)
    assert change.tolist()[:2] == [-1, 2]
    assert pd.isna(change.iloc[2])
    assert change.iloc[3] == 1
