"""Every failure as one paragraph: what went wrong, where, and what to do.

User errors (:class:`~devzone.errors.DevzoneError`) already speak to a planner. Anything
else — the disk is full, a GeoPackage is locked, the server dropped the connection, a
bug — is explained here from the exception's type and its driver message, never from
the SQL statement or its parameters (they can hold data rows or credentials). The full
traceback is written to a log file only when ``--debug`` is given.
"""

from __future__ import annotations

import errno
import traceback
from pathlib import Path

__all__ = ["DEBUG_LOG", "explain", "write_debug_log"]

#: Where ``--debug`` writes the traceback (in the working directory).
DEBUG_LOG = Path("devzone-debug.log")


def _first_line(text: str, limit: int = 300) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[:limit] + " …"


def _database(exc: BaseException) -> str | None:
    """A database driver failure, from the driver's own message (not the statement)."""
    try:
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        return None
    if not isinstance(exc, SQLAlchemyError):
        return None
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    msg = _first_line(str(orig if orig is not None else type(exc).__name__))
    low = msg.lower()
    if "locked" in low or "busy" in low:
        return (
            "The GeoPackage is locked by another program (a QGIS editing session, or another "
            f"devzone run) and stayed locked for 30 s ({msg}). Close the other program or wait "
            "for it, then run the command again; nothing was changed."
        )
    if "disk" in low and ("full" in low or "space" in low):
        return f"The disk is full ({msg}). Free some space and run the command again."
    if "disk i/o error" in low or "no space" in low:
        return (
            f"The database file could not be written ({msg}): the disk is full or the file "
            "may not grow. Free some space (or lift the size limit) and run the command "
            "again; the transaction was rolled back, nothing was changed."
        )
    if any(w in low for w in ("connection", "terminat", "server closed", "could not connect")):
        return (
            f"The connection to the database was lost ({msg}). The transaction was rolled "
            "back, so the database is as it was: check the server and run the command again."
        )
    return (
        f"The database refused the operation ({type(orig or exc).__name__}: {msg}). The "
        "transaction was rolled back; nothing was changed."
    )


def _system(exc: BaseException) -> str | None:
    if isinstance(exc, MemoryError):
        return "Out of memory. Run the command on a smaller area, or on a larger machine."
    if not isinstance(exc, OSError):
        return None
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"No space left on the disk{where}. Free some space and run the command again."
    if isinstance(exc, PermissionError):
        return f"Permission denied{where}: check that the file or folder can be written."
    if isinstance(exc, FileNotFoundError):
        return f"File or folder not found{where}."
    return f"The system refused a file operation{where}: {_first_line(exc.strerror or str(exc))}."


def explain(exc: BaseException) -> str:
    """One paragraph for an exception that is not a devzone user error.

    Examples
    --------
    >>> explain(OSError(errno.ENOSPC, "No space left on device", "out/x.gpkg"))
    'No space left on the disk (out/x.gpkg). Free some space and run the command again.'
    >>> explain(ValueError("boom")).startswith("devzone failed unexpectedly")
    True
    """
    for reader in (_database, _system):
        if (msg := reader(exc)) is not None:
            return msg
    return (
        f"devzone failed unexpectedly ({type(exc).__name__}: {_first_line(str(exc))}). "
        f"Run it again with --debug to write the details to {DEBUG_LOG} and report them."
    )


def write_debug_log(exc: BaseException, path: Path = DEBUG_LOG) -> Path:
    """The full traceback of ``exc`` in ``path`` (for ``--debug``)."""
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path
