# Sourced by the scripts: the settings cargo-leptos gives its builds, so that `cargo test` reuses the
# artifacts of `cargo leptos build` instead of compiling everything a second time (TOOLCHAIN.md, 3).
export PATH="$HOME/.cargo/bin:$PATH"
export LEPTOS_OUTPUT_NAME=seatkeeper LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend LEPTOS_BIN_DIR=server
export LEPTOS_JS_MINIFY=false LEPTOS_HASH_FILES=false
export LEPTOS_SITE_ADDR=${LEPTOS_SITE_ADDR:-127.0.0.1:3000}
export RUSTFLAGS="--cfg erase_components"

# The private cluster when no DATABASE_URL is given.
use_database() {
  if [ -z "${DATABASE_URL:-}" ]; then
    "$ROOT/scripts/pg" start
    DATABASE_URL=$("$ROOT/scripts/pg" url)
    export DATABASE_URL
  fi
}
