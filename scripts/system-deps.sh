#!/usr/bin/env bash
# Install the Debian packages ramp needs, only those that are missing.
#   scripts/system-deps.sh          runtime: WeasyPrint's libraries, xmlsec1 for SAML sign-in
#   scripts/system-deps.sh --test   also Chromium, poppler and PostgreSQL for the test suite
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core xmlsec1)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium libatomic1 poppler-utils postgresql redis-server)
fi
if ! python3 -c 'import ensurepip' 2>/dev/null; then
  packages+=(python3-venv)
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "ramp: not a Debian-like system; install these yourself if missing: ${packages[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "ramp: please install as root: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "ramp: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
