# Shared set-up for the project scripts: Debian packages, npm packages, build.
# Sourced, not run. Every step is idempotent.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUN="$ROOT/node_modules/.bin/bun"

# Debian packages the tests and demo need; installed only when one is missing.
DEBIAN_PACKAGES=(docker-registry skopeo zsh fish dash hyperfine apache2-utils openssl curl ripgrep jq time)

ensure_debian_packages() {
  local missing=()
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

# Reinstalls when package-lock.json differs from the one last installed (by
# content, not time: a fresh checkout has new file times).
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.ocx-lockfile.sha256"
  local wanted
  wanted=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
  if [ ! -x "$BUN" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "installing npm packages" >&2
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$wanted" > "$stamp"
  fi
}

build_binary() {
  "$ROOT/scripts/build" >&2
}
