# Multi-stage build: the SPA (Trunk) and the server, then a small runtime image.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
# The versions Trunk.toml and Cargo.lock name.
RUN cargo install trunk --version 0.21.14 --locked \
 && cargo install wasm-bindgen-cli --version 0.2.130
RUN npm install --prefix /opt/binaryen --no-audit --no-fund binaryen@132
ENV PATH=/opt/binaryen/node_modules/.bin:$PATH TRUNK_SKIP_VERSION_CHECK=true
WORKDIR /src
COPY . .
# Panic locations in dependencies read deps/<crate>/… instead of the build machine's
# paths (as `cargo xtask` builds it: crates/xtask/src/tools.rs, remapped_sources).
# Trunk's post-build hook (`cargo xtask split-web`) splits the web app into a module
# per page with the wasm-bindgen and wasm-opt installed above.
RUN cargo fetch --locked \
 && export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$(for d in "$CARGO_HOME"/registry/src/*; do printf ' --remap-path-prefix=%s=deps' "$d"; done)" \
 && trunk build --release \
 && cargo xtask precompress \
 && cargo build --release -p mediconnect-api --bin mediconnect

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app mediconnect
COPY --from=build /src/target/release/mediconnect /usr/local/bin/mediconnect
COPY --from=build /src/frontend/dist /app/dist
WORKDIR /app
ENV STATIC_DIR=/app/dist \
    BIND_ADDR=0.0.0.0:8080 \
    APP_ENV=production \
    LOG_FORMAT=json
USER mediconnect
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD curl -fsS http://127.0.0.1:8080/api/health/ready || exit 1
CMD ["mediconnect", "serve"]
