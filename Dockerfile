# One static binary, every component: `sagatrace serve payment|order|scoring|worker|console`,
# and `sagatrace keygen` for the token issuer's key pair.
# Build stage: the Go toolchain and the module proxy, nothing else.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/sagatrace ./cmd/sagatrace \
 && mkdir -p /out/data /out/issuer /out/public /out/order-token /out/nats-worker /out/nats-scoring /out/nats-operator /out/nats-users /out/temporal-certs

# Runtime stage: no shell, no package manager, not root. The data and key
# directories are owned by the nonroot user, so named volumes mounted there
# are writable (keygen writes the issuer's private key, mode 0600, and its
# public key; order-token the order service's token for payments;
# nats-keys the NATS users' seeds, 0600, and their public keys;
# temporal-certs Temporal's CA and certificates).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sagatrace /sagatrace
COPY --from=build --chown=65532:65532 /out/data /var/lib/sagatrace
COPY --from=build --chown=65532:65532 /out/issuer /etc/sagatrace/issuer
COPY --from=build --chown=65532:65532 /out/public /etc/sagatrace/public
COPY --from=build --chown=65532:65532 /out/order-token /etc/sagatrace/order-token
COPY --from=build --chown=65532:65532 /out/nats-worker /etc/sagatrace/nats-worker
COPY --from=build --chown=65532:65532 /out/nats-scoring /etc/sagatrace/nats-scoring
COPY --from=build --chown=65532:65532 /out/nats-operator /etc/sagatrace/nats-operator
COPY --from=build --chown=65532:65532 /out/nats-users /etc/sagatrace/nats-users
COPY --from=build --chown=65532:65532 /out/temporal-certs /etc/sagatrace/temporal-certs
# The saga worker's --build-id (its version in the Worker Deployment): the
# build context has no .git, so the revision comes as an argument
# (compose.yaml passes SAGATRACE_BUILD_ID from the shell).
ARG SAGATRACE_BUILD_ID=unstamped
ENV SAGATRACE_BUILD_ID=${SAGATRACE_BUILD_ID}
USER 65532:65532
ENTRYPOINT ["/sagatrace"]
CMD ["--help"]
