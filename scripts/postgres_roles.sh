#!/usr/bin/env bash
# The database's two roles: `repm_owner` owns the tables and runs the migrations; `repm_app`, the
# application's, owns nothing (migrate grants it what it may do: repm_portal/dbroles.py).
# The postgres image runs this on a new volume (docker-entrypoint-initdb.d). It is safe to run
# again, e.g. on a volume made before the roles existed:
#   docker compose exec postgres bash /docker-entrypoint-initdb.d/10-repm-roles.sh
# which also hands tables made by the bootstrap superuser to repm_owner.
set -euo pipefail
: "${REPM_OWNER_PASSWORD:?set REPM_OWNER_PASSWORD}" "${REPM_APP_PASSWORD:?set REPM_APP_PASSWORD}"
DB="${POSTGRES_DB:-repm}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$DB" \
  -v owner_pw="$REPM_OWNER_PASSWORD" -v app_pw="$REPM_APP_PASSWORD" -v db="$DB" <<'SQL'
SELECT 'CREATE ROLE repm_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'repm_owner') \gexec
SELECT 'CREATE ROLE repm_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'repm_app') \gexec
SELECT format('ALTER ROLE repm_owner PASSWORD %L', :'owner_pw') \gexec
SELECT format('ALTER ROLE repm_app PASSWORD %L', :'app_pw') \gexec
SELECT format('ALTER DATABASE %I OWNER TO repm_owner', :'db') \gexec
ALTER SCHEMA public OWNER TO repm_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('ALTER TABLE public.%I OWNER TO repm_owner', tablename)
  FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'repm_owner' \gexec
SELECT format('ALTER VIEW public.%I OWNER TO repm_owner', viewname)
  FROM pg_views WHERE schemaname = 'public' AND viewowner <> 'repm_owner' \gexec
SELECT format('ALTER SEQUENCE public.%I OWNER TO repm_owner', sequencename)
  FROM pg_sequences WHERE schemaname = 'public' AND sequenceowner <> 'repm_owner' \gexec
SELECT format('ALTER FUNCTION %s OWNER TO repm_owner', p.oid::regprocedure)
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
  AND p.proowner <> 'repm_owner'::regrole \gexec
SQL
