# Multi-stage build: the SPA (Trunk) and the server, then a small runtime image.
# Every image is pinned to a version (and compose's too), so a build is repeatable.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
# The versions Trunk.toml and Cargo.lock name. wasm-bindgen-cli is installed without
# --locked: its own lockfile names a webpki-roots release the registry no longer has.
RUN cargo install trunk --version 0.21.14 --locked \
 && cargo install wasm-bindgen-cli --version 0.2.130
RUN npm install --prefix /opt/binaryen --no-audit --no-fund binaryen@132
ENV PATH=/opt/binaryen/node_modules/.bin:$PATH TRUNK_SKIP_VERSION_CHECK=true
WORKDIR /src
# Panic locations in dependencies read deps/<crate>/... instead of the build machine's
# paths (as `cargo xtask` builds it: crates/xtask/src/tools.rs, remapped_sources).
# Every cargo step below sets the same flags, so that the dependencies built in the
# next layer are the ones the last step uses.
RUN printf '#!/bin/sh\nfor d in "$CARGO_HOME"/registry/src/*; do printf " --remap-path-prefix=%%s=deps" "$d"; done\n' \
    > /usr/local/bin/remap-flags && chmod +x /usr/local/bin/remap-flags

# The dependencies, in a layer of their own: built from the manifests and the lock
# file alone (each crate's sources stubbed), so that a change to our code reuses it.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY crates/api/Cargo.toml crates/api/
COPY crates/bench/Cargo.toml crates/bench/
COPY crates/shared/Cargo.toml crates/shared/
COPY crates/smtp-sink/Cargo.toml crates/smtp-sink/
COPY crates/test-macros/Cargo.toml crates/test-macros/
COPY crates/xtask/Cargo.toml crates/xtask/
COPY frontend/Cargo.toml frontend/
RUN for c in crates/api crates/bench crates/shared crates/smtp-sink crates/test-macros crates/xtask frontend; do \
        mkdir -p $c/src && echo 'fn main() {}' > $c/src/main.rs && touch $c/src/lib.rs; \
    done \
 && cargo fetch --locked \
 && export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$(remap-flags)" \
 && cargo build --release --locked -p mediconnect-api \
 && cargo build --release --locked -p xtask \
 && cargo build --profile wasm-release --locked --target wasm32-unknown-unknown -p mediconnect-frontend \
 && rm -rf crates/*/src frontend/src

# Our code. Its files are touched so that cargo rebuilds our crates over the stubs.
COPY . .
# Trunk's post-build hook (`cargo xtask split-web`) splits the web app into a module
# per page with the wasm-bindgen and wasm-opt installed above.
RUN find crates frontend -name '*.rs' -exec touch {} + \
 && export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$(remap-flags)" \
 && trunk build --release \
 && cargo xtask precompress \
 && cargo build --release --locked -p mediconnect-api --bin mediconnect

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
