# Sourced by scripts/demo and scripts/test: a virtual environment with ramp installed.
# Usage: ensure_venv EXTRAS   (EXTRAS: "" or "test")
ensure_venv() {
  local extras="$1" spec="." stamp
  [[ -n "$extras" ]] && spec=".[${extras}]"
  stamp=".venv/.ramp-installed${extras:+-$extras}"
  if [[ ! -x .venv/bin/python ]]; then
    echo "ramp: creating the virtual environment in .venv"
    python3 -m venv .venv
  fi
  # Reinstall only when the project's dependencies changed since the last install.
  if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "ramp: installing Python packages ($spec)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
    touch "$stamp"
  fi
}
