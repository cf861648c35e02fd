#!/usr/bin/env bash
# Set up devzone on a fresh Debian/Ubuntu machine: system packages (when missing),
# a virtualenv in .venv, and the package itself (editable).
#   scripts/setup.sh          # what the main job (`make demo`) needs
#   scripts/setup.sh test     # also PostGIS + a test database, Chromium, CJK fonts,
#                             # LibreOffice (headless) and poppler-utils
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-run}"
PY="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

missing=()
need() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }
# A system Python without ensurepip (Debian/Ubuntu split it out) cannot create a venv.
if ! "$PY" -c "import ensurepip, venv" >/dev/null 2>&1; then need python3-venv; fi
need libsqlite3-mod-spatialite
need gdal-bin
need fonts-noto-cjk
if [ "$MODE" = "test" ]; then
  # Debian ships a `chromium` deb; Ubuntu only a snap shim (see the fallback below).
  if [ ! -x /usr/bin/chromium ]; then
    has_deb() { apt-cache show chromium 2>/dev/null | grep -q '^Filename:'; }
    # Fresh images ship empty package lists: refresh them before deciding.
    if ! has_deb; then $SUDO apt-get update -qq || true; fi
    if has_deb; then need chromium; fi
  fi
  if ! command -v psql >/dev/null 2>&1; then need postgresql; fi
  # QGIS headless (tests/test_qgis.py, the demo's QGIS project) and GDAL's
  # validate_gpkg.py (tests/test_gpkg_validity.py), both for the system Python.
  need python3-qgis
  need python3-gdal
  # The case documents (DOCX) are opened and converted to PDF by LibreOffice headless and
  # their text read back with pdftotext (tests/test_documents.py).
  if ! command -v soffice >/dev/null 2>&1; then need libreoffice-writer-nogui; fi
  # Workbooks are printed to PDF by LibreOffice Calc (tests/test_workbooks.py).
  need libreoffice-calc-nogui
  need poppler-utils
fi
if [ "$MODE" = "test" ] || [ "$MODE" = "bench" ]; then
  # PostGIS for whichever PostgreSQL major is (or will be) installed.
  pgmajor=""
  if command -v pg_config >/dev/null 2>&1; then pgmajor=$(pg_config --version | sed -E 's/[^0-9]*([0-9]+).*/\1/'); fi
  if [ -z "$pgmajor" ] && ls /usr/lib/postgresql >/dev/null 2>&1; then pgmajor=$(ls /usr/lib/postgresql | sort -n | tail -n1); fi
  if [ -n "$pgmajor" ]; then need "postgresql-${pgmajor}-postgis-3"; else need postgis; fi
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo ">> installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  # Through `env`: sudo resets the environment, and a debconf prompt (tzdata) would hang.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! "$PY" -c "import sys; sys.exit(sys.version_info < (3, 11))"; then
  echo "devzone needs Python >= 3.11; $PY is $("$PY" -V 2>&1). Debian 12 has it; on" \
    "Ubuntu 22.04 run 'apt install python3.11 python3.11-venv' and then" \
    "'PYTHON=python3.11 scripts/demo' (or scripts/test)." >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo ">> creating virtualenv $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.devzone-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo ">> installing devzone into $VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e ".[test]"
  touch "$stamp"
fi

# Where the tests find Chromium (tests/conftest.py reads this file; DEVZONE_CHROMIUM wins).
if [ "$MODE" = "test" ]; then
  chromium_path=/usr/bin/chromium
  if [ ! -x "$chromium_path" ]; then
    # No Chromium deb (Ubuntu): Playwright's own build, with its system libraries.
    echo ">> installing Chromium through Playwright (no chromium deb on this system)"
    "$VENV/bin/python" -m playwright install --with-deps chromium
    chromium_path=$("$VENV/bin/python" -c "from playwright.sync_api import sync_playwright
p = sync_playwright().start(); print(p.chromium.executable_path); p.stop()")
  fi
  echo "$chromium_path" > "$VENV/.devzone-chromium"
fi

if [ "$MODE" = "test" ] || [ "$MODE" = "bench" ]; then
  # A PostgreSQL server on 127.0.0.1:5432 with a devzone_test database and PostGIS.
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo ">> starting PostgreSQL"
    cluster_ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n1 || true)
    if [ -n "$cluster_ver" ]; then
      $SUDO pg_ctlcluster --skip-systemctl-redirect "$cluster_ver" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
  tcp_ok=1
  if ! "${PSQL[@]}" -d postgres -c "select 1" >/dev/null 2>&1; then
    # Stock Debian asks a password on TCP: act as the postgres OS user (peer auth).
    tcp_ok=0
    if [ "$(id -u)" = "0" ]; then AS_PG=(runuser -u postgres --); else AS_PG=(sudo -u postgres); fi
    PSQL=("${AS_PG[@]}" psql -v ON_ERROR_STOP=1 -qtA)
  fi
  for db in devzone_test devzone_bench; do
    if [ "$("${PSQL[@]}" -d postgres -c "select 1 from pg_database where datname='$db'")" != "1" ]; then
      "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db" >/dev/null
    fi
    "${PSQL[@]}" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
  done
  # Where the tests find PostGIS (tests/conftest.py reads this file; DEVZONE_TEST_PG wins).
  test_url="postgresql://postgres@127.0.0.1:5432/devzone_test"
  if [ "$tcp_ok" = "0" ]; then
    # No password on TCP: a superuser role for this OS user, over the Unix socket.
    me=$(id -un)
    sockdir=$("${PSQL[@]}" -d postgres -c "show unix_socket_directories" | cut -d, -f1)
    if [ "$("${PSQL[@]}" -d postgres -c "select 1 from pg_roles where rolname='$me'")" != "1" ]; then
      "${PSQL[@]}" -d postgres -c "CREATE ROLE \"$me\" SUPERUSER LOGIN" >/dev/null
    fi
    test_url="postgresql://$me@/devzone_test?host=$sockdir"
  fi
  echo "$test_url" > "$VENV/.devzone-test-pg"
fi
echo ">> setup done ($MODE)"
