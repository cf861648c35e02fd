"""Which engine runs the spatial steps: :func:`engine_context` and :func:`current_engine`.

The selection lives in a context variable, so a job started inside
``with engine_context("dask", scheduler):`` runs every spatial call of every rule on
that engine without passing it through their signatures (the CLI's
``--engine/--scheduler``). The kernels (:mod:`devzone.spatial.local`,
:mod:`devzone.spatial.dask`, :mod:`devzone.spatial.postgis`) receive the
:class:`EngineState`; this module imports none of them.

Examples
--------
>>> current_engine().name
'local'
>>> with engine_context("dask", "tcp://scheduler:8786") as state:
...     current_engine() is state, state.scheduler
(True, 'tcp://scheduler:8786')
>>> current_engine().name
'local'
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from devzone.errors import ConfigError

__all__ = ["ENGINES", "EngineState", "current_engine", "engine_context", "resolve_engine"]

log = logging.getLogger(__name__)

#: The engines a spatial step can run on (the CLI's ``--engine`` choices).
ENGINES = ("local", "dask", "postgis")


@dataclass
class EngineState:
    """The engine selected for spatial steps, and what it holds open.

    Attributes
    ----------
    name : str
        ``local``, ``dask`` or ``postgis``.
    scheduler : str or None
        dask.distributed scheduler address; None starts a LocalCluster.
    db : sqlalchemy.Engine or None
        The PostgreSQL engine used by the ``postgis`` engine.
    partitioning : str
        dask engine: ``sort`` (Hilbert-sort on the client) or ``shuffle``.
    cluster_kwargs : dict
        Passed to ``distributed.LocalCluster`` when the dask engine starts one.
    client : distributed.Client or None
        Opened lazily on first use by the dask engine, closed on context exit.
    cluster : distributed.LocalCluster or None
        The cluster the dask engine started (None for a remote scheduler).
    """

    name: str = "local"
    scheduler: str | None = None
    db: Any = None
    partitioning: str = "sort"
    cluster_kwargs: dict[str, Any] = field(default_factory=dict)
    client: Any = None
    cluster: Any = None

    def close(self) -> None:
        """Close the client (and the LocalCluster this engine started, if any)."""
        try:
            if self.client is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self.client = None
            self.cluster = None


_STATE: contextvars.ContextVar[EngineState | None] = contextvars.ContextVar(
    "devzone_spatial_engine", default=None
)
_LOCAL = EngineState()


def current_engine() -> EngineState:
    """The engine selected by the innermost :func:`engine_context` (default local)."""
    return _STATE.get() or _LOCAL


@contextlib.contextmanager
def engine_context(
    engine: str = "local",
    scheduler: str | None = None,
    *,
    db: Any = None,
    partitioning: str = "sort",
    **cluster_kwargs: Any,
) -> Iterator[EngineState]:
    """Select the engine for the spatial calls made inside the ``with`` block.

    Parameters
    ----------
    engine : {"local", "dask", "postgis"}
        Engine name (the CLI's ``--engine``).
    scheduler : str, optional
        ``tcp://host:8786`` of a running dask scheduler; without it the dask engine
        starts a LocalCluster on first use and closes it when the block exits.
    db : sqlalchemy.Engine, optional
        Required by ``postgis``: a PostgreSQL engine (e.g. the job's own database).
    partitioning : {"sort", "shuffle"}
        dask engine only: Hilbert-sort the rows on the client and cut contiguous
        partitions (default; fastest when the frames are in memory anyway), or
        ``spatial_shuffle`` them on the cluster.
    **cluster_kwargs
        Passed to ``distributed.LocalCluster`` (``n_workers``, ``processes``, ...).

    Raises
    ------
    ConfigError
        Unknown engine, or ``postgis`` without a PostgreSQL ``db``.
    """
    name = (engine or "local").strip().lower()
    if name not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if name == "postgis" and (db is None or db.dialect.name != "postgresql"):
        raise ConfigError(
            "--engine postgis runs the spatial joins inside PostgreSQL: give a "
            "PostgreSQL database with --db postgresql://user@host:5432/dbname"
        )
    if scheduler and name != "dask":
        log.warning("--scheduler is only used by --engine dask; ignored")
    state = EngineState(
        name=name,
        scheduler=scheduler,
        db=db,
        partitioning=partitioning,
        cluster_kwargs=cluster_kwargs,
    )
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)
        if state.client is not None:
            state.close()


def resolve_engine(engine: str | EngineState | None) -> EngineState:
    """The state a spatial call runs on: ``engine`` if given, else the current one.

    Examples
    --------
    >>> resolve_engine(None).name, resolve_engine("local").name
    ('local', 'local')
    """
    if engine is None:
        return current_engine()
    if isinstance(engine, EngineState):
        return engine
    if engine == current_engine().name:
        return current_engine()
    if engine == "local":
        return EngineState()
    raise ConfigError(f"engine {engine!r} must be selected with engine_context(...)")
