#!/usr/bin/env bash
# Brings up what the tests need on this machine and writes .test-env for the Makefile:
# PostgreSQL 15 (started, or installed with apt-get when missing) with our own role and
# database, Debian's chromium for the browser tests, dovecot for the IMAP tests and memcached
# for the rate limit shared by gunicorn workers.
# With CI=true a missing PostgreSQL is an error; elsewhere the PostgreSQL run is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
ENV_FILE=.test-env
: > "$ENV_FILE"
PG_ROLE=samdesk_test
PG_PASSWORD=samdesk_test_pw
PG_DB=samdesk_test
PG_PORT=${SAMDESK_PG_PORT:-5432}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null 2>&1
}

# --- PostgreSQL ------------------------------------------------------------------------------
pg_ok=0
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing PostgreSQL with apt-get"
  apt_install postgresql || true
fi
if command -v pg_lsclusters >/dev/null 2>&1; then
  cluster=$(pg_lsclusters -h 2>/dev/null | head -n1)
  if [ -z "$cluster" ] && command -v pg_createcluster >/dev/null 2>&1; then
    ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    as_root pg_createcluster "$ver" main >/dev/null 2>&1 || true
    cluster=$(pg_lsclusters -h 2>/dev/null | head -n1)
  fi
  if [ -n "$cluster" ]; then
    ver=$(echo "$cluster" | awk '{print $1}'); name=$(echo "$cluster" | awk '{print $2}')
    PG_PORT=$(echo "$cluster" | awk '{print $3}')
    status=$(echo "$cluster" | awk '{print $4}')
    if [ "$status" != "online" ]; then
      as_root pg_ctlcluster "$ver" "$name" start || true
    fi
    for _ in $(seq 1 30); do
      if runuser -u postgres -- psql -p "$PG_PORT" -Atqc "select 1" >/dev/null 2>&1; then pg_ok=1; break; fi
      sleep 0.5
    done
  fi
fi
if [ "$pg_ok" = 1 ]; then
  runuser -u postgres -- psql -p "$PG_PORT" -qAt -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD' CREATEDB;
  ELSE
    ALTER ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD' CREATEDB;
  END IF;
END \$\$;
SQL
  for db in "$PG_DB" "${PG_DB}_bench"; do
    runuser -u postgres -- psql -p "$PG_PORT" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    runuser -u postgres -- psql -p "$PG_PORT" -qAt -c "CREATE DATABASE $db OWNER $PG_ROLE" >/dev/null
  done
  echo "export TEST_DATABASE_URL=postgresql+psycopg://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB" >> "$ENV_FILE"
  echo "export BENCH_DATABASE_URL=postgresql+psycopg://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/${PG_DB}_bench" >> "$ENV_FILE"
  echo "PostgreSQL ready on 127.0.0.1:$PG_PORT"
else
  echo "PostgreSQL is not available" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi

# --- chromium (browser tests) ------------------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium with apt-get"
  apt_install chromium fonts-dejavu-core || true
fi
if command -v chromium >/dev/null 2>&1; then
  echo "export SAMDESK_CHROMIUM=$(command -v chromium)" >> "$ENV_FILE"
elif [ "${CI:-}" = "true" ]; then
  echo "chromium could not be installed" >&2; exit 1
fi

# --- dovecot (IMAP tests) -----------------------------------------------------------------------
if ! command -v dovecot >/dev/null 2>&1; then
  echo "installing dovecot with apt-get"
  apt_install dovecot-imapd || true
fi
if command -v dovecot >/dev/null 2>&1; then
  echo "export SAMDESK_DOVECOT=$(command -v dovecot)" >> "$ENV_FILE"
elif [ "${CI:-}" = "true" ]; then
  echo "dovecot could not be installed" >&2; exit 1
fi

# --- memcached (the rate limit shared by gunicorn workers) ----------------------------------------
# The test starts its own memcached on a free port; a system service apt may start is left alone.
if ! command -v memcached >/dev/null 2>&1; then
  echo "installing memcached with apt-get"
  apt_install memcached || true
fi
if command -v memcached >/dev/null 2>&1; then
  echo "export SAMDESK_MEMCACHED=$(command -v memcached)" >> "$ENV_FILE"
elif [ "${CI:-}" = "true" ]; then
  echo "memcached could not be installed" >&2; exit 1
fi
exit 0
