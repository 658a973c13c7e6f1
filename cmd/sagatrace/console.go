package main

// The console is served like any component (`serve console`, flags in
// defineServe); only its help text differs.

const consoleSynopsis = `Serves the saga console: recent sagas from Temporal visibility (filter by
status, search by DTID), each saga's hops drawn on its clock with links to
their traces, its state and its service rows, a retry-compensation button
for a saga waiting for an operator, and the scoring leaderboard and
per-shard lag. ` + "`sagatrace dev`" + ` serves it on 127.0.0.1:8080.

It needs a login: a bearer token for audience console with scope
console:read (operator actions need sagas:operate too), pasted on its /login
page, checked with the issuer's public key (--auth-public-key) and kept in an
HttpOnly cookie until it expires; scripts send it as Authorization: Bearer.
It reads the services with a token file of read scopes (--token-file) and
never holds the private key. --allowed-host limits the Host names it answers
(421 otherwise). Every flag can also be set by an environment variable:
--jaeger-url is SAGATRACE_JAEGER_URL.`

const consoleExample = `  sagatrace serve console --listen :8080 --temporal-address temporal:7233 --jaeger-url http://jaeger:16686 \
    --payment-url http://payment:8081 --order-url http://order:8082 --scoring-url http://scoring:8083 \
    --auth-public-key /keys/issuer.pub --token-file /tokens/console.token --allowed-host console.example.com
  sagatrace token --aud console --scope console:read,sagas:operate --subject alice --ttl 8h   # to log in with`
