# One static binary, every component: `sagatrace serve payment|order|scoring|worker`.
# Build stage: the Go toolchain and the module proxy, nothing else.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/sagatrace ./cmd/sagatrace \
 && mkdir -p /out/data

# Runtime stage: no shell, no package manager, not root. The data directory
# is owned by the nonroot user, so named volumes mounted there are writable.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sagatrace /sagatrace
COPY --from=build --chown=65532:65532 /out/data /var/lib/sagatrace
USER 65532:65532
ENTRYPOINT ["/sagatrace"]
CMD ["--help"]
