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

echo "== go test"
# -count=1: the end-to-end tests talk to real servers; never serve them from cache.
go test -count=1 -timeout 45m ./...

echo "== fuzz (brief): the scoring event decoder"
# Coverage-guided, from the seed corpus in services/scoring/event_test.go.
# Any crasher is written to testdata/fuzz/ and fails this step.
go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 15s ./services/scoring/
