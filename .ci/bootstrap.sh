#!/usr/bin/env bash
# Installs what the project needs and is missing: the Debian packages listed in
# .ci/apt-packages.txt, then the project venv in .venv/ (editable, with dev extras).
# Idempotent and quiet when nothing is missing; one clear line when something fails.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

die() { echo "bootstrap: $*" >&2; exit 1; }

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  # NodeSource's nodejs bundles npm and conflicts with Debian's npm package.
  [[ "$pkg" == npm ]] && command -v npm >/dev/null 2>&1 && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < .ci/apt-packages.txt

if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  [[ $(id -u) -eq 0 ]] || die "need root to install ${missing[*]} (run as root or install them first)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
fi

# Debian enables and starts some daemons on install; the project runs its own
# instances with its own configs, so the distribution's services must not hold ports.
for svc in kamailio rtpengine-daemon rtpengine redis-server ngcp-rtpengine-daemon; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done

py=${PYTHON:-python3}
stamp=.venv/.installed
if [[ ! -x .venv/bin/python ]]; then
  "$py" -m venv .venv || die "could not create .venv with $py (is python3-venv installed?)"
fi
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "bootstrap: installing the project into .venv"
  log=.venv/pip-install.log
  { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[dev]"; } \
    >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "pip install of the project failed (log: $log)"; }
  touch "$stamp"
fi

# npm assets (ECharts for the BI dashboard): again only when the lock file is newer than
# the stamp (npm ci empties node_modules first, so the stamp lives beside it).
npm_stamp=.venv/.npm-installed
if [[ -f package-lock.json && ( ! -f $npm_stamp || package-lock.json -nt $npm_stamp \
      || ! -d node_modules ) ]]; then
  echo "bootstrap: installing npm packages (npm ci)"
  log=.venv/npm-ci.log
  npm ci --no-audit --no-fund >"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "npm ci failed (log: $log)"; }
  touch "$npm_stamp"
fi
