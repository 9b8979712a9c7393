#!/usr/bin/env bash
# Records what `unmask --version` prints: the version and the git commit the build was made from.
# Usage: build-info.sh OUT_FILE VERSION REPO_DIR
# Never fails the build: without git, or when REPO_DIR is not the top of a git checkout (a source
# archive, even one unpacked inside some other repository), the commit is "unknown".
set -u
out="$1" version="$2" repo="$3"
commit=unknown
modified=false
if command -v git >/dev/null 2>&1; then
  top="$(git -C "$repo" rev-parse --show-toplevel 2>/dev/null || true)"
  if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(cd "$repo" && pwd -P)" ]; then
    if c="$(git -C "$repo" rev-parse HEAD 2>/dev/null)"; then
      commit="$c"
      # Uncommitted changes to tracked files: the build is not exactly that commit.
      git -C "$repo" diff --quiet HEAD -- 2>/dev/null || modified=true
    fi
  fi
fi
mkdir -p "$(dirname "$out")" || exit 0
tmp="$out.$$.tmp"
if printf 'version=%s\ncommit=%s\nmodified=%s\n' "$version" "$commit" "$modified" >"$tmp"; then
  mv -f "$tmp" "$out"
else
  rm -f "$tmp"
fi
exit 0
