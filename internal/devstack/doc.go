// Package devstack starts, on one machine, the infrastructure that
// `sagatrace dev` and the end-to-end tests need: an embedded NATS server with
// JetStream, Temporal's dev server and Jaeger v2.
//
// Temporal and Jaeger are the real binaries, pinned as tool directives in
// tools/go.mod and built once into the user cache by [BuildTools]. They run as
// child processes in their own process group; on Linux they are also killed by
// the kernel if the parent dies, so no server outlives `sagatrace dev`, even
// when it is SIGKILLed. Being in their own group, they do not see the
// terminal's Ctrl-C either: the caller stops them, in its own order, with Stop.
//
// Every port in the options may be 0, in which case a free one is picked, so
// several stacks (parallel tests) can run side by side.
package devstack
