"""Zones: registry with lead/main industries, industry fit, ranking, the corridor.

Modules, one job each:

* :mod:`~devzone.zones.registry` — industry vocabulary, 1 首位 + 2–3 主导 validation;
* :mod:`~devzone.zones.fit` — parcel and zone industry fit (产业契合度);
* :mod:`~devzone.zones.admit` — entry check of a proposed project (入驻审查);
* :mod:`~devzone.zones.alloc` — firms' shares of parcels and zones (by used area);
* :mod:`~devzone.zones.indicators` — TD/T 1029 intensity indicators per zone;
* :mod:`~devzone.zones.ranking` — composite score, rank within type, rank change;
* :mod:`~devzone.zones.evaluate` — the year's evaluation (this year and last);
* :mod:`~devzone.zones.corridor` — corridor geometry and member zones;
* :mod:`~devzone.zones.contribution` — growth, contribution rate and pull;
* :mod:`~devzone.reports.charts`, :mod:`~devzone.reports.zone_reports` — CJK charts, HTML, XLSX;
* :mod:`~devzone.jobs.zones` (ranking, fit, registry, admission) and
  :mod:`~devzone.jobs.corridor` (corridor report) — database in, result tables and
  reports out;
* :mod:`~devzone.db.results_zones` — the result tables.

Every rule takes its typed policy sections keyword-only (``policy=ZonesPolicy`` or
``CorridorPolicy``, ``intensity=IntensityPolicy`` where counted floor area or the
minimum FAR is needed) and ``area_crs: str | None`` resolved by
:func:`devzone.settings.area_crs`; no number of the policy is written in code.

Decisions where the issue is silent (each documented in its module):

* the admission check uses ``[intensity.entry_rule]`` for the investment and tax
  minima (the parcel intensity check's rule, so every analysis sees one policy) and
  ``[zones.admission]`` only for ``invest_or_tax`` (:mod:`~devzone.zones.admit`);

* zone area A+B is the approved area (核准面积), else the boundary measured in the
  Gauss–Krüger CRS; B21 is every parcel in the database not built by the year end;
* the previous year is re-evaluated with the same method for the rank change; an
  indicator with no data for any zone in a year (e.g. no idle ledger) is left out of
  that year's weights, one missing for a single zone scores 0;
* corridor: default axis from the 合肥市 centroid through the 六安市 centroid, extended
  ``extend_km``, buffered ``buffer_km`` (``[corridor]``), clipped to 六安市; membership by
  the zone boundary's representative point; an explicit member list overrides the geometry;
* corridor statistics use comparable scope (this year's 规上 firms against their own
  previous-year value added) and comparable prices (``[corridor.deflator]``; a year not
  listed has no price change);
  firms on no zone parcel count for the city only; when the city's increment is ≤ 0
  the contribution rate is not computed and the report says why.
"""
