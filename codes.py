"""Registry identifiers: 统一社会信用代码, 电子监管号, 宗地代码 — shapes and check digits.

* 统一社会信用代码 (GB 32100-2015): 18 characters from ``0-9`` and the 21 letters
  ``ABCDEFGHJKLMNPQRTUWXY``; the 18th is a check character (weighted sum mod 31).
* 电子监管号 (land-market supervision number): 16 characters — 6-digit county
  adcode, 4-digit year, one letter, 5 digits (``3415022019B00012``).
* 宗地代码 (GB/T 26424 / TD/T 1015): 19 characters — 6-digit adcode, 3-digit
  cadastral district, 3-digit sub-district, 2-letter ownership/use-right type
  (``GB`` state-owned construction land …), 5-digit parcel number
  (``341502001002GB00017``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "CREDIT_ALPHABET",
    "compact_credit_code",
    "credit_check_char",
    "is_valid_credit_code",
    "is_valid_parcel_code",
    "is_valid_supervision_no",
    "valid_credit_codes",
]

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(CREDIT_ALPHABET)}
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
SUPERVISION_RE = re.compile(r"^\d{6}\d{4}[A-Z]\d{5}$")
PARCEL_RE = re.compile(r"^\d{6}\d{3}\d{3}[A-Z]{2}\d{5}$")


def credit_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code.

    Examples
    --------
    >>> credit_check_char("91350100M000100Y4")
    '3'
    """
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def compact_credit_code(code: str) -> str:
    """The credit code without spaces and hyphens, upper-cased (python-stdnum's
    ``compact()`` convention), before any check.

    Examples
    --------
    >>> compact_credit_code(" 91350100-m000100y43 ")
    '91350100M000100Y43'
    """
    return _COMPACT_RE.sub("", code).upper()


_COMPACT_RE = re.compile(r"[\s\-‐‑–—－]+")


def is_valid_credit_code(code: str) -> bool:
    """True when ``code`` is a well-formed 统一社会信用代码 with the right check character
    (after :func:`compact_credit_code`); the one check, :func:`valid_credit_codes`, on
    one value.

    Examples
    --------
    >>> is_valid_credit_code("91350100-M000100Y43"), is_valid_credit_code("91350100M000100Y44")
    (True, False)
    """
    if not isinstance(code, str):
        return False
    return bool(valid_credit_codes(pd.Series([code])).iloc[0])


def valid_credit_codes(codes: pd.Series) -> pd.Series:
    """Vectorised :func:`is_valid_credit_code` over a Series of strings."""
    s = codes.astype("string").str.replace(_COMPACT_RE.pattern, "", regex=True).str.upper()
    shape_ok = s.str.match(_CREDIT_RE.pattern).fillna(False).astype(bool)
    out = pd.Series(False, index=codes.index)
    if shape_ok.any():
        chars = np.array([list(c) for c in s[shape_ok]])
        lut = np.vectorize(_VALUE.__getitem__)
        values = lut(chars)
        total = (values[:, :17] * np.array(_WEIGHTS)).sum(axis=1)
        check = (31 - total % 31) % 31
        out[shape_ok] = values[:, 17] == check
    return out


def is_valid_supervision_no(value: str) -> bool:
    """True when ``value`` has the shape of a 电子监管号 (16 characters)."""
    return isinstance(value, str) and bool(SUPERVISION_RE.match(value))


def is_valid_parcel_code(value: str) -> bool:
    """True when ``value`` has the shape of a 19-character 宗地代码."""
    return isinstance(value, str) and bool(PARCEL_RE.match(value))
