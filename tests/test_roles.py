"""People on a city server: each county and zone sees and changes only its own land.

Real PostGIS. Roles are cluster-wide and the test database is shared, so every run
creates its login roles under a unique prefix and drops them afterwards (the group
roles devzone_city/county/zone/readonly are shared and kept).
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from devzone.db.admin import init_db
from devzone.db.audit import list_audit, tag_transaction
from devzone.db.engine import make_engine, resolve_url
from devzone.db.roles import Scope, add_user, list_users, revoke_user, scope_check

ZONE, OTHER_ZONE, COUNTY_ZONE = "S347042", "S347043", "S347044"
COUNTY, OTHER_COUNTY = "341503", "341502"
P_ZONE = "341503001001GB00001"  # in ZONE
P_OTHER = "341502001001GB00002"  # in OTHER_ZONE, another county
P_COUNTY = "341503002001GB00003"  # in COUNTY_ZONE, same county as ZONE
SQUARE = "SRID=4490;MULTIPOLYGON(((116.5 31.7,116.51 31.7,116.51 31.71,116.5 31.71,116.5 31.7)))"


@dataclass
class Server:
    """The admin engine, the schema and one engine per role."""

    admin: Engine
    url: str
    schema: str
    roles: dict[str, str]
    engines: dict[str, Engine]


def _role_url(url: str, role: str) -> str:
    return make_url(resolve_url(url)).set(username=role).render_as_string(hide_password=False)


def _seed(admin: Engine) -> None:
    with admin.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dev_zone (zone_code, name, district_code) VALUES "
                "(:z1, '甲开发区', :c1), (:z2, '乙开发区', :c2), (:z3, '丙开发区', :c1)"
            ),
            {"z1": ZONE, "z2": OTHER_ZONE, "z3": COUNTY_ZONE, "c1": COUNTY, "c2": OTHER_COUNTY},
        )
        for code, zone in ((P_ZONE, ZONE), (P_OTHER, OTHER_ZONE), (P_COUNTY, COUNTY_ZONE)):
            conn.execute(
                text(
                    "INSERT INTO parcel (parcel_code, supervision_no, zone_code, holder, geom) "
                    "VALUES (:p, :s, :z, 'holder', ST_GeomFromEWKT(:g))"
                ),
                {"p": code, "s": code[:6] + "2019B" + code[-5:], "z": zone, "g": SQUARE},
            )
            conn.execute(
                text("INSERT INTO land_supply (supervision_no, parcel_code) VALUES (:s, :p)"),
                {"p": code, "s": code[:6] + "2019B" + code[-5:]},
            )
            conn.execute(
                text("INSERT INTO parcel_enterprise (parcel_code, credit_code) VALUES (:p, :c)"),
                {"p": code, "c": "91" + code[-6:]},
            )
            conn.execute(
                text("INSERT INTO enterprise (credit_code, name) VALUES (:c, :n)"),
                {"c": "91" + code[-6:], "n": "企业" + code[-1]},
            )


@pytest.fixture
def server(pg_url: str) -> Iterator[Server]:
    """An initialised schema with a city, a county, a zone and a read-only zone role."""
    admin = make_engine(pg_url)
    init_db(admin)
    init_db(admin)  # idempotent
    _seed(admin)
    prefix = "dzt_" + uuid.uuid4().hex[:8]
    roles = {
        "city": f"{prefix}_city",
        "county": f"{prefix}_county",
        "zone": f"{prefix}_zone",
        "readonly": f"{prefix}_ro",
    }
    engines: dict[str, Engine] = {}
    try:
        add_user(admin, roles["city"], "city", "341500")
        add_user(admin, roles["county"], "county", COUNTY)
        add_user(admin, roles["zone"], "zone", ZONE)
        add_user(admin, roles["readonly"], "zone", ZONE, read_only=True)
        for key, role in roles.items():
            engines[key] = create_engine(_role_url(pg_url, role))
        schema = admin.url.query["options"].split("=")[1].split(",")[0]
        yield Server(admin, pg_url, schema, roles, engines)
    finally:
        for eng in engines.values():
            eng.dispose()
        with admin.begin() as conn:
            for role in roles.values():
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


def _codes(engine: Engine, table: str = "parcel", column: str = "parcel_code") -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text(f"SELECT {column} FROM {table}")).scalars())


def _refused(engine: Engine, sql: str, **params: object) -> str:
    with pytest.raises(DBAPIError) as info, engine.begin() as conn:
        conn.execute(text(sql), params)
    return str(info.value.orig)


@pytest.mark.postgis
def test_each_level_sees_only_its_own_land(server: Server) -> None:
    e = server.engines
    assert _codes(e["zone"]) == {P_ZONE}
    assert _codes(e["readonly"]) == {P_ZONE}
    assert _codes(e["county"]) == {P_ZONE, P_COUNTY}
    assert _codes(e["city"]) == {P_ZONE, P_OTHER, P_COUNTY}
    assert _codes(e["zone"], "dev_zone", "zone_code") == {ZONE}
    assert _codes(e["county"], "dev_zone", "zone_code") == {ZONE, COUNTY_ZONE}
    # the contract, the link and the firm come along with the parcel
    assert _codes(e["zone"], "land_supply") == {P_ZONE}
    assert _codes(e["zone"], "parcel_enterprise") == {P_ZONE}
    assert _codes(e["zone"], "enterprise", "credit_code") == {"91" + P_ZONE[-6:]}
    assert len(_codes(e["county"], "enterprise", "credit_code")) == 2


@pytest.mark.postgis
def test_a_zone_cannot_write_outside_its_zone(server: Server) -> None:
    zone = server.engines["zone"]
    msg = _refused(
        zone,
        "INSERT INTO parcel (parcel_code, zone_code) VALUES ('341502009GB9', :z)",
        z=OTHER_ZONE,
    )
    assert "row-level security" in msg
    with zone.begin() as conn:
        changed = conn.execute(
            text("UPDATE parcel SET holder = 'stolen' WHERE parcel_code = :p"), {"p": P_OTHER}
        ).rowcount
        moved = conn.execute(text("DELETE FROM parcel WHERE parcel_code = :p"), {"p": P_OTHER})
    assert changed == 0
    assert moved.rowcount == 0
    with server.admin.connect() as conn:
        holder = conn.execute(
            text("SELECT holder FROM parcel WHERE parcel_code = :p"), {"p": P_OTHER}
        ).scalar()
    assert holder == "holder"
    # nor move its own parcel into another zone
    assert "row-level security" in _refused(
        zone, "UPDATE parcel SET zone_code = :z WHERE parcel_code = :p", z=OTHER_ZONE, p=P_ZONE
    )
    # its own parcel it may change
    with zone.begin() as conn:
        ok = conn.execute(
            text("UPDATE parcel SET holder = 'new holder' WHERE parcel_code = :p"), {"p": P_ZONE}
        ).rowcount
    assert ok == 1


@pytest.mark.postgis
def test_a_zone_cannot_widen_its_scope(server: Server) -> None:
    zone = server.engines["zone"]
    for target in (server.roles["city"], "devzone_city"):
        assert "permission denied" in _refused(zone, f'SET ROLE "{target}"')
    assert "must be owner" in _refused(zone, "ALTER POLICY devzone_read ON parcel USING (true)")
    assert "must be owner" in _refused(zone, "DROP POLICY devzone_read ON parcel")
    assert "must be owner" in _refused(zone, "ALTER TABLE parcel DISABLE ROW LEVEL SECURITY")
    assert "permission denied" in _refused(
        zone, "UPDATE devzone_user SET level = 'city' WHERE role_name = current_user"
    )
    assert "permission denied" in _refused(zone, "TRUNCATE parcel")
    with server.admin.connect() as conn:
        flags = conn.execute(
            text(
                "SELECT bool_or(rolsuper OR rolcreaterole OR rolbypassrls OR rolcreatedb) "
                "FROM pg_roles WHERE rolname = ANY(:r) OR rolname LIKE 'devzone\\_%'"
            ),
            {"r": list(server.roles.values())},
        ).scalar()
    assert flags is False


@pytest.mark.postgis
def test_a_read_only_role_cannot_write(server: Server) -> None:
    ro = server.engines["readonly"]
    assert "permission denied" in _refused(
        ro, "UPDATE parcel SET holder = 'x' WHERE parcel_code = :p", p=P_ZONE
    )
    assert "permission denied" in _refused(
        ro, "INSERT INTO parcel (parcel_code, zone_code) VALUES ('341503009GB9', :z)", z=ZONE
    )


@pytest.mark.postgis
def test_the_audit_lists_every_change_with_its_role(server: Server) -> None:
    zone, city = server.engines["zone"], server.engines["city"]
    with zone.begin() as conn:
        tag_transaction(conn, "etl load", 7)
        conn.execute(
            text("UPDATE parcel SET holder = 'zone edit' WHERE parcel_code = :p"), {"p": P_ZONE}
        )
        conn.execute(
            text("INSERT INTO parcel (parcel_code, zone_code) VALUES ('341503009GB9', :z)"),
            {"z": ZONE},
        )
        conn.execute(text("DELETE FROM parcel WHERE parcel_code = '341503009GB9'"))
    with city.begin() as conn:
        conn.execute(
            text("UPDATE parcel SET holder = 'city edit' WHERE parcel_code = :p"), {"p": P_OTHER}
        )
    entries = list_audit(server.admin, table="parcel", role=server.roles["zone"])
    ops = sorted(e.op for e in entries)
    assert ops == ["DELETE", "INSERT", "UPDATE"]
    update = next(e for e in entries if e.op == "UPDATE")
    assert update.row_key == {"parcel_code": P_ZONE}
    assert (update.old_values["holder"], update.new_values["holder"]) == ("holder", "zone edit")
    assert (update.command, update.batch_id) == ("etl load", "7")
    assert "geom_md5" in update.new_values
    by_city = list_audit(server.admin, table="parcel", role=server.roles["city"])
    assert [e.row_key for e in by_city] == [{"parcel_code": P_OTHER}]
    # the admin's own seed rows are there too, under its login role
    assert any(e.login_role != server.roles["zone"] for e in list_audit(server.admin))
    # a zone reads only its own entries and cannot forge or erase any
    assert {e.login_role for e in list_audit(zone)} == {server.roles["zone"]}
    assert len(list_audit(city, table="parcel")) >= 4
    assert "permission denied" in _refused(zone, "DELETE FROM devzone_audit")
    assert "permission denied" in _refused(
        zone, "INSERT INTO devzone_audit (table_name, op) VALUES ('parcel', 'INSERT')"
    )


@pytest.mark.postgis
def test_users_list_and_revoke(server: Server) -> None:
    everyone = {u.name: u for u in list_users(server.admin)}
    assert set(server.roles.values()) <= set(everyone)
    zone = everyone[server.roles["zone"]]
    assert (zone.level, zone.scope, zone.read_only, zone.groups) == (
        "zone",
        ZONE,
        False,
        ("devzone_zone",),
    )
    assert everyone[server.roles["readonly"]].groups == ("devzone_readonly",)
    assert [u.name for u in list_users(server.engines["zone"])] == [server.roles["zone"]]
    revoke_user(server.admin, server.roles["readonly"])
    assert server.roles["readonly"] not in {u.name for u in list_users(server.admin)}
    server.engines["readonly"].dispose()
    with pytest.raises(DBAPIError), server.engines["readonly"].connect():
        pass  # NOLOGIN


@pytest.mark.postgis
def test_ogrinfo_as_a_zone_role_sees_only_its_zone(server: Server, ogr_pg) -> None:
    conn = ogr_pg(_role_url(server.url, server.roles["zone"]))
    res = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", f"{conn} schemas={server.schema}", "parcel"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert P_ZONE in res.stdout
    assert P_OTHER not in res.stdout
    assert P_COUNTY not in res.stdout
    assert res.stdout.count("OGRFeature(parcel)") == 1


# --------------------------------------------------------------------------- pure


def test_scope_check_rejects_rows_outside_the_scope_with_the_reason() -> None:
    parcels = pd.DataFrame(
        {
            "parcel_code": [P_ZONE, P_OTHER, P_COUNTY],
            "supervision_no": ["3415032019B00001", "3415022019B00002", "3415032019B00003"],
            "zone_code": [ZONE, OTHER_ZONE, COUNTY_ZONE],
        }
    )
    zones = {ZONE: COUNTY, OTHER_ZONE: OTHER_COUNTY, COUNTY_ZONE: COUNTY}
    ok, why = scope_check(parcels, "parcels", Scope("zone", ZONE), zones=zones)
    assert ok.tolist() == [True, False, False]
    assert why[0] == ""
    assert OTHER_ZONE in why[1]
    assert "outside the scope" in why[1]
    ok, _ = scope_check(parcels, "parcel", Scope("county", COUNTY), zones=zones)
    assert ok.tolist() == [True, False, True]
    buildings = pd.DataFrame({"building_code": ["b1", "b2"], "parcel_code": [P_ZONE, P_OTHER]})
    ok, why = scope_check(buildings, "buildings", Scope("zone", ZONE), parcels=parcels)
    assert ok.tolist() == [True, False]
    assert "parcel_code" in why[1]
    links = pd.DataFrame({"parcel_code": [P_ZONE, P_OTHER], "credit_code": ["A", "B"]})
    indicators = pd.DataFrame({"credit_code": ["A", "B", "C"], "year": [2019] * 3})
    ok, _ = scope_check(indicators, "indicators", Scope("zone", ZONE), parcels=parcels, links=links)
    assert ok.tolist() == [True, False, False]
    ok, why = scope_check(parcels, "parcels", Scope("zone", ZONE, read_only=True))
    assert not ok.any()
    assert "read-only" in why[0]
    ok, _ = scope_check(parcels, "parcels", Scope("city", "341500"))
    assert ok.all()
    assert isinstance(ok, np.ndarray)
    with pytest.raises(ValueError, match="unknown kind"):
        scope_check(parcels, "roads", Scope("zone", ZONE))
