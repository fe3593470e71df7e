#!/usr/bin/env bash
# Creates a Python venv in which Pillow is BUILT FROM SOURCE against the system
# (Debian) codec libraries, so that Pillow and StoryForge use the same
# libjpeg-turbo and zlib builds in the comparison.
#
# Usage: Benchmarks/Scripts/setup-pillow-venv.sh [VENV_DIR]
#   VENV_DIR      default: <repo>/.venv-bench (git-ignored)
#   PYTHON=...    interpreter used to create the venv (default: python3)
#   PILLOW_VERSION=...  Pillow version to build (default: 13.0.0)
#
# Needs: a C compiler, the Python headers of $PYTHON, and the Debian packages
# libjpeg62-turbo-dev (libjpeg-dev), libpng-dev and zlib1g-dev.
# Network: PyPI only (the Pillow sdist and its build requirements).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${1:-$repo/.venv-bench}"
python="${PYTHON:-python3}"
pillow_version="${PILLOW_VERSION:-13.0.0}"

for pkg in libjpeg62-turbo-dev zlib1g-dev libpng-dev; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    echo "error: Debian package $pkg is not installed (apt-get install $pkg)" >&2
    exit 1
  fi
done

if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi

# --no-binary forces Pillow's sdist (never a wheel with bundled libraries);
# --no-cache-dir avoids reusing a wheel built earlier against other libraries.
"$venv/bin/python" -m pip install --no-cache-dir --force-reinstall \
  --no-binary Pillow "Pillow==$pillow_version"

"$venv/bin/python" - <<'PY'
import sys, PIL, PIL.features as f
from PIL import _imaging
print("python      ", sys.version.split()[0], sys.executable)
print("Pillow      ", PIL.__version__, PIL.__file__)
print("libjpeg     ", f.version("jpg"), "(turbo %s)" % f.version("libjpeg_turbo"))
print("zlib        ", f.version("zlib"), "zlib-ng:", f.version("zlib_ng"))
print("_imaging    ", _imaging.__file__)
PY

# Show which shared libraries the extension actually resolves to.
imaging="$("$venv/bin/python" -c 'from PIL import _imaging; print(_imaging.__file__)')"
ldd "$imaging" | grep -E 'libjpeg|libz|libpng' || true
if ldd "$imaging" | grep -q 'pillow.libs'; then
  echo "error: $imaging uses bundled libraries (a binary wheel was installed)" >&2
  exit 1
fi
