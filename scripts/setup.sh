#!/usr/bin/env bash
# Idempotent setup for privacy-desk: system packages, the app's virtualenv, Rasa's virtualenv, the database.
# Usage: scripts/setup.sh [all|system|app|rasa|db]...   (default: all)
#
# Heavy things live in a cache outside the checkout, keyed by a hash of what they are built from, so a fresh
# clone on the same machine reuses them and a fresh machine builds them:
#   $PRIVACY_DESK_CACHE/rasa-venv-<hash of bot/rasa-requirements.lock + bot/rasa-extra.txt>
# .venv-rasa in the checkout is a symlink to it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE="${PRIVACY_DESK_CACHE:-$HOME/.cache/privacy-desk}"
PYTHON="${PYTHON:-python3.11}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 RASA_TELEMETRY_ENABLED=false

log() { printf '[setup] %s\n' "$*" >&2; }

# Debian packages the app and its tests use: PostgreSQL (a real server in tests), Dovecot (real IMAP in tests),
# Chromium + driver (browser tests), a CJK font (Japanese in screenshots), Redis (the lock store shared by several
# Rasa processes when RASA_WORKERS > 1).
SYSTEM_PACKAGES=(postgresql dovecot-imapd chromium chromium-driver fonts-ipafont-gothic redis-server)

setup_system() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "system packages present"; return; fi
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or install them yourself)"; return 1
  fi
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packaged services must not run on their own; tests start private instances on loopback.
  for svc in postgresql dovecot redis-server; do
    (service "$svc" stop >/dev/null 2>&1 || true)
  done
}

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

setup_app() {
  local stamp=.venv/.privacy-desk-installed want
  want=$(hash_of pyproject.toml)
  if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "app virtualenv up to date (.venv)"; return
  fi
  log "building the app virtualenv (.venv)"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
}

setup_rasa() {
  local key dir
  key=$(hash_of bot/rasa-requirements.lock bot/rasa-extra.txt)
  dir="$CACHE/rasa-venv-$key"
  if [ ! -f "$dir/.complete" ]; then
    log "building Rasa's virtualenv in $dir (several minutes, about 3 GB)"
    rm -rf "$dir"; mkdir -p "$CACHE"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/pip" install -q --upgrade pip
    # Rasa 3.6.21 declares Python <3.11; this lock is the verified complete set for 3.11.
    "$dir/bin/pip" install -q --no-deps --ignore-requires-python -r bot/rasa-requirements.lock
    if [ -s bot/rasa-extra.txt ]; then "$dir/bin/pip" install -q -r bot/rasa-extra.txt; fi
    touch "$dir/.complete"
  else
    log "Rasa virtualenv cached ($dir)"
  fi
  # Idempotent fixes to the locked packages (see bot/patch_rasa.py for why).
  if [ -f bot/patch_rasa.py ]; then "$dir/bin/python" bot/patch_rasa.py; fi
  if [ "$(readlink .venv-rasa 2>/dev/null)" != "$dir" ]; then rm -rf .venv-rasa; ln -s "$dir" .venv-rasa; fi
}

setup_db() {
  log "migrating the database"
  .venv/bin/privacy-desk db migrate
}

steps=("$@"); [ ${#steps[@]} -eq 0 ] && steps=(all)
for step in "${steps[@]}"; do
  case "$step" in
    all) setup_system; setup_app; setup_rasa; setup_db ;;
    system|app|rasa|db) "setup_$step" ;;
    *) log "unknown step: $step"; exit 2 ;;
  esac
done
