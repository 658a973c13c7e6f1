# shellcheck shell=bash
# What the scripts that drive a `sagatrace dev` of their own share. Source it
# after `set -euo pipefail`; it only defines functions. A function that
# fails says why on stderr and exits the script.

# print_usage prints the script's header comment (lines 2 to $1) and its
# usage line, then exits 2.
print_usage() { # last line of the header comment, arguments of the usage line
	sed -n "2,$1p" "$0" | sed 's/^# \{0,1\}//'
	echo
	echo "usage: $0 $2"
	exit 2
}

need_tools() { # tool...
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
	done
}

# temporal_cli_of prints the path of the Temporal CLI of the checkout's
# tools/go.mod, built (or found in the build cache) first: run directly, it
# saves the seconds `go tool` costs per call in a poll.
temporal_cli_of() { # checkout
	(cd "$1" && go tool -modfile=tools/go.mod temporal --version >/dev/null)
	(cd "$1" && go tool -n -modfile=tools/go.mod temporal)
}

# wait_dev_ready waits until the banner of a `sagatrace dev` started in the
# background says it is ready, and stops the script if it exits first.
wait_dev_ready() { # pid, its stdout file, its stderr file
	local _
	for _ in $(seq 1 600); do # up to 10 minutes: the first run builds the tools
		grep -q 'sagatrace dev is ready' "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || { cat "$3" >&2; echo "sagatrace dev exited" >&2; exit 1; }
		sleep 1
	done
	tail -20 "$3" >&2
	echo "sagatrace dev not ready" >&2
	exit 1
}

# stop_dev stops a `sagatrace dev` started in the background, if it still
# runs, as Ctrl-C would: it stops its children on SIGINT.
stop_dev() { # pid, or "" when none was started
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill -INT "$1"
		wait "$1" 2>/dev/null || true
	fi
}

# wait_parked waits until a saga parks in compensation_failed, and stops
# the script if it ends in any other status or does not park in time.
wait_parked() { # Temporal CLI, Temporal address, workflow ID
	local status= _
	for _ in $(seq 1 180); do # a refund's budget of 8 attempts takes about 25 s
		status=$("$1" workflow query --address "$2" -w "$3" --type saga_state --output json 2>/dev/null |
			jq -r '.queryResult[0].status // empty' || true)
		case $status in compensation_failed | invalid | compensated | completed) break ;; esac
		sleep 1
	done
	[ "$status" = compensation_failed ] || { echo "$3 did not park (status ${status:-unknown})" >&2; exit 1; }
}
