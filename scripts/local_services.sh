#!/usr/bin/env bash
# Make sure this machine's own PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer,
# starting them if they are installed but down. Exit 3 if either is not installed at all.
set -uo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
  else
    echo "PostgreSQL is not installed on this machine" >&2; exit 3
  fi
fi
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis_up && break; sleep 0.2; done
  else
    echo "Redis is not installed on this machine" >&2; exit 3
  fi
fi
# Both database roles, as production has them: the owner is the server's superuser (postgres) that
# `make test-tcp` connects as; repm_app, the application's, owns nothing (repm_portal/dbroles.py).
if pg_up; then
  psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "DO \$\$ BEGIN
    CREATE ROLE repm_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END \$\$" || true
fi
pg_up && redis_up
