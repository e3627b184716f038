#!/usr/bin/env bash
# The one-time mechanical pass that puts the tree under `make check`: run once by the lead after all merges,
# from the repository root, then commit the result on its own ("Tidy: ruff format, safe ruff fixes").
#   1. drop the hand-layout markers (`# fmt: skip` at a line's end, `# fmt: off` / `# fmt: on` lines)
#   2. ruff format (the formatter owns the layout from now on)
#   3. ruff check --fix: safe fixes only (import order, unused noqa, quoted annotations, datetime.UTC ...)
#   4. ruff format again, for what the fixes touched
# It changes layout, never behaviour; what is left for `make check` to report needs a hand fix.
set -euo pipefail
cd "$(dirname "$0")/.."
RUFF=${RUFF:-$(command -v ruff || echo .venv/bin/ruff)}
PATHS=(src tests bench scripts)

mapfile -d '' files < <(grep -rlZE --include='*.py' '#[[:space:]]*fmt:[[:space:]]*(skip|off|on)' "${PATHS[@]}" || true)
if ((${#files[@]})); then
    sed -i -E -e 's/[[:space:]]*#[[:space:]]*fmt:[[:space:]]*skip[[:space:]]*$//' \
        -e '/^[[:space:]]*#[[:space:]]*fmt:[[:space:]]*(off|on)[[:space:]]*$/d' "${files[@]}"
fi
echo "markers removed from ${#files[@]} files; left: $(grep -rcE --include='*.py' '#[[:space:]]*fmt:' "${PATHS[@]}" | awk -F: '{s+=$2} END {print s+0}')"
"$RUFF" format "${PATHS[@]}"
"$RUFF" check --fix --exit-zero "${PATHS[@]}" >/dev/null
"$RUFF" format "${PATHS[@]}"
echo "left for a hand fix (make check reports them):"
"$RUFF" check --statistics --exit-zero "${PATHS[@]}"
