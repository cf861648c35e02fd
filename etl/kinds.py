"""Recognise the kind of an export from its headers (``--kind auto``)."""

from __future__ import annotations

from devzone.etl.fields import (
    IGNORED_HEADERS,
    KINDS,
    UnrecognisedFileError,
    match_headers,
    normalise_header,
)

#: Share of a file's (non-ignored) columns a kind must map to be recognised by --kind auto.
MIN_COVERAGE = 0.5

__all__ = ["detect_kind"]


def detect_kind(
    headers: list[object], *, has_geometry: bool = False, file: str | None = None
) -> tuple[str, str]:
    """The kind whose fields match most headers, and why it was chosen.

    A kind is a candidate only when its key/required fields are all present (and, for
    the spatial kinds parcel/building/zone/district, when geometry is present or the
    match is otherwise unambiguous). Ties go to the kind listed first in
    :data:`devzone.etl.fields.KINDS`.

    A kind must also map at least :data:`MIN_COVERAGE` of the file's columns (data
    notes such as 数据说明 aside), so a file that merely contains ``parcel_code`` and
    ``credit_code`` among many other columns (a test manifest, a report) is not taken
    for a link table.

    Raises
    ------
    UnrecognisedFileError
        No kind has its required fields among the headers.
    """
    useful = [h for h in headers if normalise_header(h)[0] not in IGNORED_HEADERS]
    useful = [h for h in useful if not str(h).startswith("列")]
    best: tuple[int, str] | None = None
    scores: dict[str, int] = {}
    for kind, spec in KINDS.items():
        matched = {name for name, _ in match_headers(kind, headers).values()}
        required = set(spec.required) or (
            {"supervision_no", "parcel_code"} & matched if kind == "progress" else set()
        )
        if kind == "progress" and not required:
            continue
        if kind == "buildings" and not ({"floors", "floor_area_m2", "building_code"} & matched):
            continue
        if kind == "progress" and not (
            {
                "invested_wan",
                "developed_area_m2",
                "total_invest_wan",
                "report_date",
                "government_cause",
                "suspended_date",
            }
            & matched
        ):
            continue
        if not required <= matched:
            continue
        if len(matched) < MIN_COVERAGE * max(len(useful), 1):
            continue
        score = len(matched) + (1 if spec.spatial == has_geometry else 0)
        scores[kind] = score
        if best is None or score > best[0]:
            best = (score, kind)
    if best is None:
        raise UnrecognisedFileError(
            "cannot tell which kind of export this is: no kind has its key fields (and at "
            "least half of the columns) among the headers "
            f"({', '.join(map(str, headers[:15]))}); name it with --kind",
            file=file,
        )
    kind = best[1]
    others = ", ".join(
        f"{k} {v}" for k, v in sorted(scores.items(), key=lambda x: -x[1]) if k != kind
    )
    matched = best[0] - (1 if KINDS[kind].spatial == has_geometry else 0)
    why = f"{KINDS[kind].label} ({kind}): {matched} fields matched"
    if others:
        why += f" (other candidates: {others})"
    return kind, why
