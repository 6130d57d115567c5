# syntax=docker/dockerfile:1

# Build: a static binary (modernc SQLite needs no cgo), so the final image
# needs no libc.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, in their own layer: they change far less often than code.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/switchboard ./server
# An empty /data owned by the runtime user: Docker copies a directory's
# ownership into a new named volume, so the non-root server can write its
# SQLite file and key file there.
RUN mkdir -p /out/data

# Run: distroless static has CA certificates (IMAP over TLS, PostgreSQL with
# sslmode=verify-full) and tzdata (posts scheduled in a user's time zone),
# and no shell to attack.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/switchboard /switchboard
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV DATA_DIR=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/switchboard"]
CMD ["serve"]
