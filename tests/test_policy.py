"""The typed policy: shipped files valid, a city's mistakes named by file, table and key,
and no policy number left as a literal in the Python code."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from devzone.errors import ConfigError
from devzone.paths import POLICY_DIR
from devzone.policy import load_policy, read_toml, replace

REPO = Path(__file__).resolve().parents[1]


def _city(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "city.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_policy_loads_with_the_numbers_of_the_toml_files() -> None:
    policy = load_policy()
    idle = read_toml(POLICY_DIR / "idle.toml")["idle"]
    assert policy.idle.fee_rate == idle["fee_rate"] == 0.2  # Order 53 Art. 14 (一): 20 %
    assert policy.intensity.max_admin_share == 0.06  # 六政〔2014〕66号
    assert policy.performance.grades.A == 0.25


def test_a_city_file_overrides_only_the_keys_it_names(tmp_path: Path) -> None:
    policy = load_policy(_city(tmp_path, "[idle]\nfee_rate = 0.1\n"))
    assert policy.idle.fee_rate == 0.1
    assert policy.idle.recover_after_years == 2  # untouched: from idle.toml


@pytest.mark.parametrize(
    ("text", "table", "key", "what"),
    [
        ("[idle]\nfee_rat = 0.5\n", "[idle]", "'fee_rat'", "unknown key"),
        ('[idle]\nfee_rate = "20%"\n', "[idle]", "'fee_rate'", "valid number"),
        ("[intensity]\nmax_admin_share = 1.5\n", "[intensity]", "'max_admin_share'", "less than"),
        ("[idle.notice]\nreply_days = 3.5\n", "[idle.notice]", "'reply_days'", "integer"),
        ("[performance.grades]\nA = -0.1\n", "[performance.grades]", "'A'", "greater than"),
        (
            "[zones.score.idle_rate]\nweight = true\n",
            "[zones.score.idle_rate]",
            "'weight'",
            "number",
        ),
        ("[nonsense]\nx = 1\n", "[nonsense]", "", "unknown key"),
    ],
)
def test_a_city_mistake_is_one_paragraph_naming_file_table_and_key(
    tmp_path: Path, text: str, table: str, key: str, what: str
) -> None:
    path = _city(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    msg = str(err.value)
    assert str(path) in msg
    assert f"table {table}" in msg
    assert key in msg
    assert what in msg
    assert "\n" not in msg


def test_an_unknown_key_lists_the_known_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"known keys: .*fee_rate"):
        load_policy(_city(tmp_path, "[idle]\nfee_rat = 0.5\n"))


def test_a_broken_or_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_policy(_city(tmp_path, "[idle\n"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy(tmp_path / "nope.toml")


def test_replace_validates_like_a_file() -> None:
    assert replace(load_policy().idle, fee_rate=0.3).fee_rate == 0.3
    with pytest.raises(ConfigError, match="fee_rate"):
        replace(load_policy().idle, fee_rate=1.5)


def test_the_cli_reports_a_config_mistake_as_one_paragraph(tmp_path: Path) -> None:
    path = _city(tmp_path, "[idle]\nfee_rat = 0.5\n")
    devzone = str(Path(sys.executable).with_name("devzone"))
    db = str(tmp_path / "x.gpkg")
    subprocess.run([devzone, "db", "init", "--db", db], capture_output=True, check=True)
    res = subprocess.run(
        [devzone, "idle", "--as-of", "2019-12-31", "--config", str(path), "--db", db],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    assert "fee_rat" in res.stderr
    assert "city.toml" in res.stderr


# --- no policy number as a literal in code --------------------------------------------

#: Package folders whose code may not carry policy numbers (the rules and their edges;
#: reports and maps carry layout numbers — widths, margins, opacities — which are not).
RULE_DIRS = ("landuse", "zones", "jobs", "db", "spatial", "cli")
#: Every package folder, for the ``.get(key, number)`` fallback check.
CODE_DIRS = (*RULE_DIRS, "reports", "maps", "etl")
#: A line may say why a number in it is not a policy number.
NOT_POLICY = "# not policy:"
#: TOML numbers too common to be told apart from ordinary code (0, 1, 2, 100 …).
TOO_COMMON = {0.0, 1.0, 2.0, 3.0, 100.0, 10.0}


def _toml_numbers() -> set[float]:
    found: set[float] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, float) and not isinstance(value, bool):
            found.add(value)

    for path in POLICY_DIR.glob("*.toml"):
        if path.name != "maps.toml":  # display choices, not policy numbers
            walk(read_toml(path))
    return found - TOO_COMMON


def _float_literals(path: Path) -> list[tuple[int, float]]:
    out = []
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for tok in tokens:
        if tok.type == tokenize.NUMBER and ("." in tok.string or "e" in tok.string.lower()):
            try:
                out.append((tok.start[0], float(tok.string.replace("_", ""))))
            except ValueError:
                continue
    return out


def test_no_policy_number_is_a_literal_in_the_code() -> None:
    numbers = _toml_numbers()
    assert {0.2, 0.06, 300.0} <= numbers  # the grep sees them
    hits = []
    for folder in RULE_DIRS:
        for path in sorted((REPO / folder).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            hits += [
                f"{path.relative_to(REPO)}:{n} {value}"
                for n, value in _float_literals(path)
                if value in numbers and NOT_POLICY not in lines[n - 1]
            ]
    assert hits == []


#: ``.get("key", <number>)`` — a fallback that repeats (or contradicts) a TOML value.
NUMBER_FALLBACK = re.compile(r"""\.get\(\s*["'][a-z_]+["']\s*,\s*-?[0-9]""")


def test_no_policy_key_has_a_number_fallback_in_the_code() -> None:
    hits = [
        f"{path.relative_to(REPO)}:{n}"
        for folder in CODE_DIRS
        for path in sorted((REPO / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if NUMBER_FALLBACK.search(line)
    ]
    assert hits == []
