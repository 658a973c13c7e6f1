package main

// The console is served like any component (`serve console`, flags in
// defineServe); only its help text differs.

const consoleSynopsis = `Serves the saga console: recent sagas from Temporal visibility (filter by
status, search by DTID), each saga's hops drawn on its clock with links to
their traces, its state and its service rows, a retry-compensation button
for a saga waiting for an operator, and the scoring leaderboard and
per-shard lag. ` + "`sagatrace dev`" + ` serves it on :8080. Every flag can also be set
by an environment variable: --jaeger-url is SAGATRACE_JAEGER_URL.`

const consoleExample = `  sagatrace serve console --listen :8080 --temporal-address temporal:7233 --jaeger-url http://jaeger:16686 \
    --payment-url http://payment:8081 --order-url http://order:8082 --scoring-url http://scoring:8083 --auth-key /keys/issuer.key`
