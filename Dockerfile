# fermata as a container: many stateless hosts on one Postgres, or one host on SQLite.
#
#   docker build -t fermata .
#   docker run -p 8080:8080 -e FERMATA_DATABASE_URL=postgres://fermata:secret@db:5432/fermata fermata
#
# Configuration comes from the environment only (every flag of `fermata serve` has a
# FERMATA_* variable; see the README). The runtime image holds the binary, with its builtin
# plugins inside it, and nothing that needs a network at start.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# The plugins are built for wasm32-wasip2 by the server's build script.
RUN rustup target add wasm32-wasip2
COPY . .
RUN cargo build --release --locked -p fermata \
 && install -D target/release/fermata /out/fermata

FROM debian:bookworm-slim
# zlib for the Kafka client; CA certificates for HTTP tasks calling https:// endpoints.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/fermata --create-home fermata
COPY --from=build /out/fermata /usr/local/bin/fermata
USER fermata
WORKDIR /var/lib/fermata
ENV FERMATA_LISTEN=0.0.0.0:8080 \
    FERMATA_DATABASE_URL=sqlite:///var/lib/fermata/fermata.db \
    FERMATA_PLUGIN_CACHE=/var/lib/fermata/plugin-cache
EXPOSE 8080
# Readiness and liveness: GET /health answers 200 once the host serves.
# SIGTERM drains: requests in flight are answered, running system tasks finish, leases are
# given back so another host continues at once.
STOPSIGNAL SIGTERM
ENTRYPOINT ["fermata", "serve"]
