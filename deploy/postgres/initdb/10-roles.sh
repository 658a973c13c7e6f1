#!/bin/sh
# A role and a database per user of this PostgreSQL server, run once by
# the postgres image on an empty data directory. temporal may create
# databases: its auto-setup makes `temporal` and `temporal_visibility`
# itself. payment, order and scoring each own one database and reach no
# other (PUBLIC's CONNECT is revoked). Passwords come from the
# environment (compose's .env), never from this file.
set -eu

create() { # role password [createdb]
	psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
		-v role="$1" -v password="$2" -v createdb="${3:-NOCREATEDB}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password' :createdb;
SQL
}

database() { # name (owned by the role of the same name)
	psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v db="$1" <<'SQL'
CREATE DATABASE :"db" OWNER :"db";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}

create temporal "$PG_TEMPORAL_PASSWORD" CREATEDB
for svc in payment order scoring; do
	eval "password=\${PG_$(echo "$svc" | tr a-z A-Z)_PASSWORD}"
	create "$svc" "$password"
	database "$svc"
done
