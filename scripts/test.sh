#!/usr/bin/env bash
# Runs every test of sagatrace: formatting, vet, and the unit, integration
# and end-to-end tests — the latter against the real Temporal dev server,
# Jaeger v2 and NATS with JetStream, built from tools/go.mod on first use
# (several minutes on 2 cores the first time; cached afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "these files are not gofmt-ed (run gofmt -w on them):"
	echo "$unformatted"
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== workflowcheck: workflow code stays deterministic"
go tool -modfile=tools/go.mod workflowcheck ./workflows/...

echo "== chromium, for the console's browser test (e2e/console_test.go)"
# Debian's package; installed only when missing, so a machine that has it
# pays nothing. Without it the browser test fails and says how to install it.
if ! command -v chromium >/dev/null 2>&1; then
	echo "chromium is missing: apt-get install -y chromium"
	(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) ||
		echo "could not install chromium (not root? no apt?); the browser test will fail"
fi

echo "== postgresql, for the stores' tests on PostgreSQL (internal/database/dbtest)"
# Debian's server binaries; the tests start their own throwaway cluster from
# /usr/lib/postgresql/<version>/bin, so nothing is configured or started
# here. Installed only when missing; without them those tests fail and say
# how to install them.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
	echo "PostgreSQL is missing: apt-get install -y postgresql"
	(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql) ||
		echo "could not install postgresql (not root? no apt?); the PostgreSQL store tests will fail"
fi

echo "== go test"
# -count=1: the end-to-end tests talk to real servers; never serve them from cache.
go test -count=1 -timeout 45m ./...

echo "== fuzz (brief): the scoring event decoder"
# Coverage-guided, from the seed corpus in services/scoring/event_test.go.
# Any crasher is written to testdata/fuzz/ and fails this step.
go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 15s ./services/scoring/
