"""Exceptions that speak to a planner: what went wrong, where, and what to do.

All subclass :class:`DevzoneError` (itself a ``ValueError``); the CLI prints their
message as one paragraph instead of a traceback.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DatabaseError", "DevzoneError", "InputError"]


class DevzoneError(ValueError):
    """Base class of every error devzone reports to its user."""


class DatabaseError(DevzoneError):
    """The database URL is wrong, unreachable, or lacks its spatial extension."""


class ConfigError(DevzoneError):
    """A policy/config TOML file is missing, unreadable or inconsistent."""


class InputError(DevzoneError):
    """An input file (or one row/field of it) cannot be read.

    Parameters
    ----------
    message
        What was wrong and what to do.
    file, row, field
        Where: the file path, the 1-based data row number (as a spreadsheet user
        counts it) and the field name, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.row, self.field = file, row, field
        where = ", ".join(
            p
            for p in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"field {field}" if field else "",
            )
            if p
        )
        super().__init__(f"{where}: {message}" if where else message)
