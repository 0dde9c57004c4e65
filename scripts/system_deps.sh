#!/usr/bin/env bash
# Install the Debian packages the platform and its tests need, only where missing (as root, or via sudo).
set -euo pipefail

# gcc + libpq-dev: psycopg2 builds from source. Pango: WeasyPrint. fonts-noto-core: Devanagari in PDFs.
# gettext: compiles the Hindi catalogues. wrk: `make bench-web`.
# chromium: browser tests. poppler-utils: pdftotext in PDF tests. docker-compose: `config` check of the stack.
PACKAGES=(gcc libpq-dev python3-venv libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core chromium poppler-utils nodejs npm docker-compose gettext wrk)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node may come from outside Debian (nvm, a tarball): then npm is already there.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
