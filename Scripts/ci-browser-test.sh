#!/usr/bin/env bash
# The web page in a real browser (issue 18): builds story-server, then Tests/Browser/test_web.py starts it on a free
# loopback port with a temporary store and drives headless chromium through Selenium (a short offline story through
# the form, its progress to done, the video, the storyboard, cancel and retry, a token-protected server).
#
# Needs the Debian packages chromium and chromium-driver (installed here when missing, as root or with sudo) and
# Selenium for Python: the system's python3-selenium when it imports, else `pip install selenium` into a virtual
# environment under $TMPDIR. Exits non-zero when a check fails; the work folder (logs, screenshots) is kept then.
#
#   bash Scripts/ci-browser-test.sh [--skip-build] [extra test_web.py arguments]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

skip_build=false
if [[ "${1:-}" == "--skip-build" ]]; then
    skip_build=true
    shift
fi

missing=()
for package in chromium chromium-driver; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]} > 0)); then
    sudo=()
    [[ $(id -u) -ne 0 ]] && sudo=(sudo)
    echo "ci-browser-test: installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python=python3
if ! "$python" -c "import selenium" 2>/dev/null; then
    venv="${TMPDIR:-/tmp}/storyforge-selenium-venv"
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import selenium" 2>/dev/null; then
        echo "ci-browser-test: installing selenium into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet selenium
    fi
    python="$venv/bin/python"
fi

if [[ "$skip_build" == false ]]; then
    swift build --product story-server
fi
server="$(swift build --show-bin-path)/story-server"
[[ -x "$server" ]] || { echo "ci-browser-test: no story-server at $server (build it first)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/storyforge-browser-XXXXXX")"
if "$python" Tests/Browser/test_web.py --server "$server" --work "$work" --tokens-scenario "$@"; then
    rm -rf "$work"
else
    status=$?
    echo "ci-browser-test: failed; logs and screenshots are in $work" >&2
    exit "$status"
fi
