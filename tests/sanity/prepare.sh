#!/usr/bin/env bash
# Lay the collection out where ansible-test wants it (a copy of the tracked and
# new files, not a symlink) and cache an offline stand-in for get-pip.
set -euo pipefail
dest="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
git ls-files --cached --others --exclude-standard -z | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$dest/$(dirname "$f")"
  cp -p "$f" "$dest/$f"
done
cache="${HOME}/.ansible/test/cache"
mkdir -p "$cache"
for name in get_pip_24_2.py get_pip_24_3.py get_pip_25_0.py get_pip_25_1.py get_pip_25_2.py; do
  cat > "$cache/$name" <<'PY'
# Offline stand-in for get-pip: ensurepip, then pip install the rest.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
done
# The tree sits inside this repository's ignored .ansible-test/: give it its own
# git index so ansible-test enumerates its files instead of skipping them all.
cd "$dest"
git init -q
git add -A
