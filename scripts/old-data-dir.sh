#!/usr/bin/env bash
# Makes the data dir of an old build for the upgrade test
# (e2e/upgrade_test.go): the state `sagatrace dev --data-dir` of commit
# 2cc461c — the build before any workflow.GetVersion-gated change, whose
# parked sagas wait for the retry-compensation signal — leaves behind with
# one saga parked and one completed, packed into
# e2e/testdata/datadir-<commit>.tar.gz, with datadir-<commit>.json naming
# the sagas in it.
#
#   scripts/old-data-dir.sh                    # commit 2cc461c
#   scripts/old-data-dir.sh --commit <commit>  # another old build
#
# It checks the commit out in a temporary git worktree (removed again at
# the end), builds its sagatrace, runs its `sagatrace dev` on free ports
# and a fresh data dir, and starts with that build's own `sagatrace start`:
#   completed  a saga that runs to completion;
#   parked     faults order.create=error and payment.refund=transient:9:
#              the order step is refused, the refund fails the whole
#              compensation budget (8 attempts) and the saga parks in
#              compensation_failed. The refund's attempt numbers go on
#              across the operator's retry (PriorAttempts), so after one
#              retry-compensation signal attempt 9 fails and 10 refunds.
# When the parked saga's saga_state query says compensation_failed, it
# stops `sagatrace dev` with SIGINT (as Ctrl-C) and packs the data dir
# without what a restart does not need: the logs, Jaeger's config (written
# at every start; traces are in memory) and auth/ (the issuer's private
# key: a key is never committed, and the new build makes its own); the
# SQLite files are checkpointed and vacuumed (Temporal's is mostly empty
# pages), and the archive must stay under 1 MB. It takes about a minute
# once the tools are built.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
commit=2cc461c
out=$here/e2e/testdata
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"

usage() { print_usage 30 "[--commit COMMIT] [--out DIR]"; }
while [ $# -gt 0 ]; do
	case $1 in
	--commit) commit=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) usage ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
done
need_tools jq git sqlite3 tar gzip
full=$(git -C "$here" rev-parse --verify "$commit^{commit}")
label=$(git -C "$here" rev-parse --short=7 "$full")
mkdir -p "$out"

work=$(mktemp -d "${TMPDIR:-/tmp}/old-data-dir.XXXXXX")
src=$work/src
dev_pid=
cleanup() {
	stop_dev "$dev_pid"
	if [ -d "$src" ]; then
		git -C "$here" worktree remove --force "$src" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # so that cleanup runs on Ctrl-C too

echo "== checking out $label in a temporary worktree"
git -C "$here" worktree add --quiet --detach "$src" "$full"
echo "== building sagatrace of $label"
(cd "$src" && go build -o "$work/sagatrace" ./cmd/sagatrace)
temporal_cli=$(temporal_cli_of "$here")

data=$work/data
echo "== starting sagatrace dev of $label (data in $data)"
# From $src: dev builds Temporal and Jaeger from that build's tools/go.mod.
# Every port is any free one; the banner says which were taken.
(cd "$src" && exec "$work/sagatrace" dev --data-dir "$data" --log-level warn \
	--temporal-port 0 --temporal-ui-port 0 --temporal-http-port 0 \
	--jaeger-port 0 --jaeger-grpc-port 0 --otlp-grpc-port 0 --otlp-http-port 0 \
	--jaeger-thrift-port 0 --jaeger-compact-port 0 --nats-port 0 \
	--payment-port 0 --order-port 0 --scoring-port 0 --console-port 0 \
	>"$work/dev.out" 2>"$work/dev.err") &
dev_pid=$!
wait_dev_ready "$dev_pid" "$work/dev.out" "$work/dev.err"
address=$(awk '$1 == "Temporal" { print $2; exit }' "$work/dev.out")
otlp=$(sed -n 's|.*(OTLP/HTTP \([^,]*\),.*|\1|p' "$work/dev.out")
[ -n "$address" ] && [ -n "$otlp" ] || { cat "$work/dev.out" >&2; echo "the banner names no Temporal or OTLP/HTTP address" >&2; exit 1; }
echo "   Temporal at $address"

# start_saga runs that build's `sagatrace start` and prints the DTID it made.
start_saga() { # customer, then start's flags
	local customer=$1
	shift
	"$work/sagatrace" start --temporal-address "$address" --otlp-endpoint "http://$otlp" \
		--customer "$customer" --profile p-upgrade --amount 5 "$@" >"$work/start.out" || {
		cat "$work/start.out" >&2
		echo "sagatrace start --customer $customer failed" >&2
		exit 1
	}
	awk '$1 == "DTID" { print $2; exit }' "$work/start.out"
}
saga_state() { # workflow ID
	"$temporal_cli" workflow query --address "$address" -w "$1" --type saga_state --output json 2>/dev/null |
		jq -c '.queryResult[0]'
}

echo "== a saga that completes"
completed=$(start_saga upgrade-completed --wait 2m)
grep -q 'Outcome: completed' "$work/start.out" || { cat "$work/start.out" >&2; exit 1; }
echo "== a saga that parks (order refused, refund fails 9 times)"
parked=$(start_saga upgrade-parked --wait 0 --fault order.create=error --fault payment.refund=transient:9)
wait_parked "$temporal_cli" "$address" "order-saga-$parked"
parked_state=$(saga_state "order-saga-$parked")
completed_state=$(saga_state "order-saga-$completed")

echo "== stopping sagatrace dev"
kill -INT "$dev_pid"
wait "$dev_pid" || { tail -20 "$work/dev.err" >&2; echo "sagatrace dev did not stop cleanly" >&2; exit 1; }
dev_pid=

echo "== packing the data dir"
rm -rf "$data/auth" "$data/jaeger"
rm -f "$data"/*.log
for db in "$data"/*.db; do
	# Folds a WAL left behind into the file and drops free pages: the
	# Temporal dev server's file is mostly preallocated, empty pages.
	sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE); VACUUM;' >/dev/null
	rm -f "$db-wal" "$db-shm"
done
# Nothing credential-like may be committed: tokens (JWTs) or keys.
if grep -rqaE 'eyJ[A-Za-z0-9_-]+\.eyJ|PRIVATE KEY' "$data"; then
	echo "the data dir holds what looks like a credential; it must not be committed" >&2
	exit 1
fi
archive=$out/datadir-$label.tar.gz
# Reproducible: sorted names, no owners, no times.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$data" -cf - . | gzip -9n >"$archive"
jq -n --arg commit "$full" --arg parked "$parked" --arg completed "$completed" \
	--argjson parked_state "$parked_state" --argjson completed_state "$completed_state" '{
	commit: $commit,
	made_by: "scripts/old-data-dir.sh",
	note: "the data dir of sagatrace dev of this commit, without logs, Jaeger config and auth/ (the new build makes its own key)",
	sagas: [
		{case: "parked", dtid: $parked, workflow_id: ("order-saga-" + $parked),
		 faults: {"order.create": "error", "payment.refund": "transient:9"},
		 what: "the refund failed its 8 attempts; waits for the retry-compensation signal, after which attempt 9 fails and attempt 10 refunds",
		 saga_state: $parked_state},
		{case: "completed", dtid: $completed, workflow_id: ("order-saga-" + $completed),
		 what: "ran to completion", saga_state: $completed_state}
	]}' >"$out/datadir-$label.json"
# testdata is committed: an archive that grew (more sagas, an unvacuumed
# file) is refused rather than bloating the repository.
size=$(wc -c <"$archive")
[ "$size" -lt 1048576 ] || { echo "$archive is $size bytes; keep it under 1 MB" >&2; exit 1; }
du -b "$archive" "$out/datadir-$label.json"
tar -tzvf "$archive"
echo "made $archive"
