# syntax=docker/dockerfile:1

# ---------------------------------------------------------------------------
# Build stage
# ---------------------------------------------------------------------------
# Cargo.lock pins crates (e.g. parking_lot 0.13) that need rustc >= 1.95.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-bookworm AS builder

WORKDIR /build

# The image (buildpack-deps) already ships gcc, pkg-config and libssl-dev,
# which the bundled libpq (pq-src, linked against OpenSSL) and SQLite need.

# 1. Build the dependency graph alone so it is cached until the manifests change.
COPY Cargo.toml Cargo.lock ./
# Compile options of the bundled SQLite.
COPY .cargo ./.cargo
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src \
    && rm -rf target/release/.fingerprint/labnet-* \
              target/release/deps/labnet-* \
              target/release/deps/liblabnet-* \
              target/release/labnet*

# 2. Build the application itself (migrations are embedded at compile time).
COPY src ./src
COPY migrations ./migrations
COPY openapi ./openapi
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && strip target/release/labnet \
    && install -m 0755 target/release/labnet /usr/local/bin/labnet

# ---------------------------------------------------------------------------
# Runtime stage
# ---------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system labnet \
    && useradd --system --gid labnet --home-dir /var/lib/labnet --shell /usr/sbin/nologin labnet \
    && mkdir -p /var/lib/labnet \
    && chown labnet:labnet /var/lib/labnet

COPY --from=builder /usr/local/bin/labnet /usr/local/bin/labnet

WORKDIR /var/lib/labnet
USER labnet

ENV LABNET_BIND=0.0.0.0:8080
# Two malloc arenas instead of one per thread: with the embedded SQLite database this kept
# peak memory under 100 MiB at 1M laboratories (131 MiB without); see docs/performance.md.
ENV MALLOC_ARENA_MAX=2
EXPOSE 8080

ENTRYPOINT ["labnet"]
CMD ["serve"]
