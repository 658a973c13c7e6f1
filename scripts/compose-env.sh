#!/bin/sh
# Makes .env for compose.yaml once: a random password for PostgreSQL's
# administrator and for each of its roles (temporal, payment, order,
# scoring). An existing .env is kept: the passwords are set in PostgreSQL
# when its volume is first made, and would no longer match.
set -eu
cd "$(dirname "$0")/.."
if [ -e .env ]; then
	echo ".env exists; kept (delete it and the postgres-data volume to start over)" >&2
	exit 0
fi
umask 077
pw() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }
{
	echo "# compose.yaml's secrets, made by scripts/compose-env.sh. Never commit this file."
	for v in PG_ADMIN_PASSWORD PG_TEMPORAL_PASSWORD PG_PAYMENT_PASSWORD PG_ORDER_PASSWORD PG_SCORING_PASSWORD; do
		echo "$v=$(pw)"
	done
} > .env
echo "wrote .env (mode 0600)" >&2
