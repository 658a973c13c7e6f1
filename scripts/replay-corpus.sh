#!/usr/bin/env bash
# Captures the replay corpus of one build: real OrderSaga histories, one saga
# per outcome, from the real Temporal dev server, into
# workflows/testdata/histories/<label>-<case>.json. `go test ./workflows/`
# replays every file there with today's workflow code (replay_test.go), so a
# change of workflow logic that a saga in flight could not survive fails.
#
#   scripts/replay-corpus.sh                       # this checkout's build, labelled by its commit
#   git worktree add /tmp/old <commit>
#   scripts/replay-corpus.sh --src /tmp/old        # an older build's sagas, labelled <commit>
#
# It starts `sagatrace dev` of --src on free ports and a throwaway data dir,
# runs every drill scenario once (`sagatrace drill --scenario all --sagas 1`),
# starts the cases the drill has no scenario for (invalid input, a saga left
# parked, the input rules added with workflow.GetVersion), and exports each
# history with the Temporal CLI built from tools/go.mod. The files of other
# labels are left alone: an old build's histories stay until no saga of that
# build can be in flight (docs/ARCHITECTURE.md, "Rules that keep it this way").
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
src=$here
label=
out=$here/workflows/testdata/histories
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"

usage() { print_usage 18 "[--src CHECKOUT] [--label LABEL] [--out DIR]"; }
while [ $# -gt 0 ]; do
	case $1 in
	--src) src=$(cd "$2" && pwd); shift 2 ;;
	--label) label=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) usage ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
done
if [ -z "$label" ]; then
	# A label names the code that wrote the histories; uncommitted changes to
	# that code would make the commit a lie.
	if [ -n "$(git -C "$src" status --porcelain -- 'workflows/*.go' 'activities/*.go' ':!*_test.go')" ]; then
		echo "$src has uncommitted changes in workflows/ or activities/: commit them, or name the build with --label" >&2
		exit 2
	fi
	label=$(git -C "$src" rev-parse --short=7 HEAD)
fi
need_tools jq base64 git
mkdir -p "$out"

work=$(mktemp -d "${TMPDIR:-/tmp}/replay-corpus.XXXXXX")
dev_pid=
cleanup() {
	stop_dev "$dev_pid"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # so that cleanup runs on Ctrl-C too

echo "== building sagatrace of $src ($label)"
(cd "$src" && go build -o "$work/sagatrace" ./cmd/sagatrace)
temporal_cli=$(temporal_cli_of "$here")
temporal() { "$temporal_cli" "$@"; }

# free_port prints a port nobody listens on, below Linux's ephemeral range
# (so no outgoing connection takes it meanwhile), never the same twice.
taken=" "
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		case $taken in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			taken="$taken$p "
			echo "$p"
			return
		fi
	done
}
# Each port is taken in this shell, not a $(…) subshell, so taken grows.
free_port >"$work/p"; temporal_port=$(<"$work/p")
free_port >"$work/p"; jaeger_port=$(<"$work/p")
free_port >"$work/p"; otlp_port=$(<"$work/p")
free_port >"$work/p"; nats_port=$(<"$work/p")
free_port >"$work/p"; payment_port=$(<"$work/p")
free_port >"$work/p"; order_port=$(<"$work/p")
free_port >"$work/p"; scoring_port=$(<"$work/p")
address=127.0.0.1:$temporal_port

echo "== starting sagatrace dev (Temporal at $address, data in $work/data)"
# From $src: dev builds Temporal and Jaeger from its tools/go.mod. Ports not
# named here are any free port.
# The corpus is kept in clear, so that the replay test needs no key (it
# replays every history with the codec's converter too, which passes clear
# payloads through); builds before the codec have no such flag.
clear_payloads=()
no_codec=()
if "$work/sagatrace" dev --help 2>&1 | grep -q -- '-payload-encryption'; then
	clear_payloads=(--payload-encryption=false)
	no_codec=(--codec-key-file off) # not the key file of a dev run in $src
fi
(cd "$src" && exec "$work/sagatrace" dev --data-dir "$work/data" --log-level warn "${clear_payloads[@]}" \
	--temporal-port "$temporal_port" --temporal-ui-port 0 --temporal-http-port 0 \
	--jaeger-port "$jaeger_port" --jaeger-grpc-port 0 --otlp-grpc-port 0 --otlp-http-port "$otlp_port" \
	--jaeger-thrift-port 0 --jaeger-compact-port 0 --nats-port "$nats_port" \
	--payment-port "$payment_port" --order-port "$order_port" --scoring-port "$scoring_port" --console-port 0 \
	>"$work/dev.out" 2>"$work/dev.err") &
dev_pid=$!
wait_dev_ready "$dev_pid" "$work/dev.out" "$work/dev.err"

common=(--temporal-address "$address" --otlp-endpoint "http://127.0.0.1:$otlp_port")
# Builds whose dev runs NATS with users keep the worker's seed in the data
# dir; older ones have neither the seed nor the flag.
nats_creds=()
[ -f "$work/data/nats-auth/worker.nk" ] && nats_creds=(--nats-nkey "$work/data/nats-auth/worker.nk")

echo "== every drill scenario, one saga each"
(cd "$src" && "$work/sagatrace" drill --scenario all --sagas 1 --concurrency 8 "${common[@]}" \
	--payment-url "http://127.0.0.1:$payment_port" --order-url "http://127.0.0.1:$order_port" \
	--scoring-url "http://127.0.0.1:$scoring_port" --jaeger-url "http://127.0.0.1:$jaeger_port" \
	--nats-url "nats://127.0.0.1:$nats_port" "${nats_creds[@]}" "${no_codec[@]}" --auth-key "$work/data/auth/issuer.key")

echo "== the cases the drill has no scenario for"
# Each case's customer ID, "replay-<case>", names its file. Input as
# `temporal workflow start` gives it (the Temporal CLI path of the README):
# the starter's checks are skipped, so the workflow's own are what decide.
item='{"sku":"sku-1","qty":1,"price_cents":500}'
start_raw() { # workflow ID, input JSON
	temporal workflow start --address "$address" --task-queue sagas --type OrderSaga \
		--workflow-id "$1" --input "$2" >/dev/null
}
run=$(date +%s)
# invalid input: the workflow refuses it before any service is called.
start_raw "replay-invalid-input-$run" \
	'{"customer_id":"replay-invalid-input","profile_id":"p-1","amount_cents":0,"currency":"USD","items":['"$item"']}'
# a SKU longer than the order service takes (rule sku-bound-of-order):
# refunded at the order step by a build before the rule, invalid after it.
long_sku=$(printf 'sku-%070d' 0)
start_raw "replay-sku-too-long-$run" \
	'{"customer_id":"replay-sku-too-long","profile_id":"p-1","amount_cents":500,"currency":"USD","items":[{"sku":"'"$long_sku"'","qty":1,"price_cents":500}]}'
# a DTID its workflow ID does not own (rule dtid-owns-workflow-id):
# completed by a build before the rule, invalid after it.
start_raw "replay-dtid-not-owned-$run" \
	'{"dtid":"someone-elses-'"$run"'","customer_id":"replay-dtid-not-owned","profile_id":"p-1","amount_cents":500,"currency":"USD","items":['"$item"']}'
# parked: refunds keep failing, and nobody signals retry-compensation, so
# the history ends with the saga waiting, as a saga in flight across an
# upgrade does (the drill's refund-keeps-failing is parked, then retried).
parked="replay-parked-$run"
start_raw "$parked" \
	'{"customer_id":"replay-parked","profile_id":"p-1","amount_cents":500,"currency":"USD","items":['"$item"'],"faults":{"order.create":"error","payment.refund":"transient:100"}}'
wait_parked "$temporal_cli" "$address" "$parked"
for id in "replay-invalid-input-$run" "replay-sku-too-long-$run" "replay-dtid-not-owned-$run"; do
	temporal workflow result --address "$address" -w "$id" >/dev/null 2>&1 || true # waits for it to close
done

echo "== exporting the histories to $out"
temporal workflow list --address "$address" --query 'WorkflowType="OrderSaga"' --output json --limit 1000 |
	jq -r '.[].execution.workflowId' >"$work/ids"
n=0
declare -A seen
while read -r id; do
	temporal workflow show --address "$address" -w "$id" --output json >"$work/history.json"
	# The case is the customer ID of the saga's input: drill-<scenario> or
	# replay-<case>.
	customer=$(jq -r '.events[0].workflowExecutionStartedEventAttributes.input.payloads[0].data' "$work/history.json" |
		base64 -d | jq -r .customer_id)
	case $customer in
	drill-* | replay-*) name=${customer#*-} ;;
	*) echo "skipping $id: customer $customer is none of this script's" >&2; continue ;;
	esac
	file=$out/$label-$name.json
	# A case may start a second workflow of its own (duplicate-dtid: the
	# one that names another saga's DTID); it is kept as <case>-2.
	if [ -n "${seen[$name]:-}" ]; then
		[ -z "${seen[$name-2]:-}" ] || { echo "three sagas of case $name" >&2; exit 1; }
		name=$name-2
	fi
	file=$out/$label-$name.json
	jq -c . "$work/history.json" >"$file" # one line: a third smaller, and nobody reads it as text
	seen[$name]=1
	n=$((n + 1))
	printf '  %-50s %6d bytes\n' "${file#"$here"/}" "$(wc -c <"$file")"
done <"$work/ids"

# Inputs hold test customers only; a token or key in a history would be a
# leak into the repository. Payloads are base64 (of JSON, so every one
# starts "eyJ"): they are searched decoded, for a bearer token, a JWT (two
# base64url parts joined by a dot) or a PEM key.
leaks=0
for f in "$out/$label"-*.json; do
	if { cat "$f"; jq -r '.. | objects | .data? | strings | @base64d' "$f"; } |
		grep -qiE 'bearer |eyJ[A-Za-z0-9_-]+\.eyJ|PRIVATE KEY'; then
		echo "$f holds what looks like a credential; it must not be committed" >&2
		leaks=1
	fi
done
[ "$leaks" = 0 ] || exit 1
echo "captured $n histories of $label"
