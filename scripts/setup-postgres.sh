#!/usr/bin/env bash
# Create Ascend's two PostgreSQL roles and its database, idempotently.
#   ascend_owner: owns the tables and runs migrations (CREATEDB, so tests can make test_ascend)
#   ascend_app:   what the app connects as: no superuser, no ownership, no BYPASSRLS
# Connects as the PostgreSQL superuser; override with PGHOST/PGPORT/PGUSER.
set -euo pipefail
export PGHOST="${PGHOST-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
OWNER="${ASCEND_DB_OWNER:-ascend_owner}"
APP="${ASCEND_DB_APP:-ascend_app}"
DB="${ASCEND_DB_NAME:-ascend}"

psql -v ON_ERROR_STOP=1 -q -d postgres <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${OWNER}') THEN
    CREATE ROLE ${OWNER} LOGIN CREATEDB;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP}') THEN
    CREATE ROLE ${APP} LOGIN;
  END IF;
END
\$\$;
ALTER ROLE ${APP} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
SQL
# Passwords are optional: local trust auth needs none, docker-compose sets them.
for pair in "${OWNER}:${ASCEND_DB_OWNER_PASSWORD:-}" "${APP}:${ASCEND_DB_APP_PASSWORD:-}"; do
  role="${pair%%:*}" password="${pair#*:}"
  if [ -n "$password" ]; then
    psql -v ON_ERROR_STOP=1 -q -d postgres -c "ALTER ROLE ${role} PASSWORD '${password}'"
  fi
done
if ! psql -tAc "SELECT 1 FROM pg_database WHERE datname = '${DB}'" -d postgres | grep -q 1; then
  psql -v ON_ERROR_STOP=1 -q -d postgres -c "CREATE DATABASE ${DB} OWNER ${OWNER}"
fi
echo "PostgreSQL roles ${OWNER}, ${APP} and database ${DB} are ready on ${PGHOST}:${PGPORT}."
