# Sourced by bin/demo and bin/test: create .venv and install the project from the package registries.
# Needs only Python ≥ 3.11; uv (from PyPI) makes the install take seconds, pip is the fallback.
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "需要 Python 3.11 或更高版本（当前: $("$PY" --version 2>&1)）。/ Python 3.11+ is required." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "== 创建虚拟环境 .venv / creating .venv"
  "$PY" -m venv .venv
fi
EXTRAS=${WENMING_EXTRAS:-}
echo "== 安装依赖 / installing dependencies${EXTRAS:+ [$EXTRAS]}"
if [ ! -x .venv/bin/uv ]; then .venv/bin/python -m pip install -q --disable-pip-version-check uv || true; fi
if [ -x .venv/bin/uv ]; then
  .venv/bin/uv pip install --python .venv/bin/python -q -e ".${EXTRAS:+[$EXTRAS]}"
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${EXTRAS:+[$EXTRAS]}"
fi
