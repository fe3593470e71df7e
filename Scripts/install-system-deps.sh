#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages StoryForge needs at build, test and run time, skipping those
# already installed. Safe to run again. Uses sudo when not run as root.
set -euo pipefail

packages=(
    libpng-dev           # MediaIO: PNG codec
    libjpeg-dev          # MediaIO: JPEG codec (libjpeg-turbo)
    zlib1g-dev           # libpng's compression
    libsqlite3-dev       # checkpoints, caches, story library
    libcurl4-openssl-dev # ProviderKit: HTTP transport on Linux
    ffmpeg               # video assembly, loudness, probing
    espeak-ng            # offline text-to-speech
    fonts-noto-core      # burned subtitles: glyphs for Latin, Greek, Cyrillic, Arabic, Hebrew, Indic, Thai…
    fonts-noto-cjk       # burned subtitles: glyphs for Chinese, Japanese and Korean
    python3-venv         # CI's server checks only: schemathesis, Selenium and the Python MCP client in virtualenvs
    openssl              # CI's MCP check: random bearer tokens
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-system-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi
echo "install-system-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
