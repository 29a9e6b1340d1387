# Shared helpers for the project's scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '\033[1m[tango-sync]\033[0m %s\n' "$*" >&2; }

# Installs npm dependencies when they are missing or older than the lock file.
ensure_node_modules() {
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "installing npm dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

# The browser the console's e2e tests drive: Debian's chromium (never a test tool's own download). Installed with
# apt when missing and this user may (root, or sudo without a password); otherwise the browser tests fail and say
# how to install it.
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
ensure_chromium() {
  if [ -x "$CHROMIUM_PATH" ]; then
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      say "chromium is missing at $CHROMIUM_PATH and cannot be installed here (apt-get install chromium)"
      return 0
    fi
  fi
  say "installing Debian's chromium for the browser tests"
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; then
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null
  fi
}
