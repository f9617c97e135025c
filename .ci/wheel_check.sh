#!/usr/bin/env bash
# Users install the wheel, not the repository: build it, install it in a fresh virtual environment, then predict
# from an empty temporary folder with the network cut (when this machine can cut it).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
work=$(mktemp -d /tmp/brandfit-wheel.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$PY" -m pip wheel --quiet --no-deps . -w "$work/dist" 2>/dev/null
# the wheel bundles the versions src/brandfit/bundled holds, nothing a stale build/ folder kept from an older build
"$PY" - "$work"/dist/brandfit-*.whl <<'PYEOF'
import re, sys, zipfile
from pathlib import Path
pattern = re.compile(r"brandfit/bundled/registry/([^/_][^/]*/\d+)/")
shipped = {m.group(1) for n in zipfile.ZipFile(sys.argv[1]).namelist() if (m := pattern.match(n))}
source = {f"{p.parent.name}/{p.name}" for p in Path("src/brandfit/bundled/registry").glob("*/*") if p.name.isdigit()}
assert shipped == source, f"the wheel bundles {sorted(shipped)}, src/brandfit/bundled holds {sorted(source)}"
print(f"wheel check: bundled {', '.join(sorted(shipped))}")
PYEOF
"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip 2>/dev/null
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/brandfit-*.whl 2>/dev/null
cat > "$work/predict.py" <<'PYEOF'
import sys, brandfit
from brandfit.settings import bundled_registry, registry_root
assert registry_root() == bundled_registry(), registry_root()
rel = brandfit.predict_relevance({"bio": "trail runner | coach", "posts": ["hill repeats in the fog", "50k race report"]},
                                 "sports_outdoor")
assert rel.primary_topic == "sports_outdoor" and rel.score > 0.5, rel
print(f"wheel check: {rel.model_version} on {brandfit.load_model().backend}: score {rel.score:.3f}, "
      f"primary {rel.primary_topic}")
PYEOF
mkdir "$work/elsewhere"
cd "$work/elsewhere"
run=("$work/venv/bin/python" "$work/predict.py")
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  BRANDFIT_CACHE_DIR="$work/cache" unshare -n "${run[@]}"      # no network at all while predicting
  BRANDFIT_CACHE_DIR="$work/cache" unshare -n "$work/venv/bin/python" -m brandfit --version
else
  echo "wheel check: cannot cut the network here (needs root and unshare); predicting with it up"
  BRANDFIT_CACHE_DIR="$work/cache" "${run[@]}"
fi
