#!/usr/bin/env bash
# The monthly report as an HTML page, made from the example data: demo.sh walks the
# example complaints into its own fresh register, then `report --html` writes October 2025's
# report to the file named by $1 (default report-2025-10.html).  With SCREENSHOT=FILE.png
# and Chromium installed (Debian: apt-get install chromium), it also takes the screenshot
# the README shows.  Needs `pip install 'complaintctl[charts]'`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-report-2025-10.html}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The demo makes its register under $TMPDIR and says where on its first line.
db="$(TMPDIR="$work" bash "$here/demo.sh" | sed -n '1s/^demo register: //p')"
complaintctl --db "$db" --config "$here/complaintctl.toml" report --month 2025-10 --html "$out"

if [ -n "${SCREENSHOT:-}" ]; then
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$work/chromium" --window-size=1000,1900 \
    --screenshot="$SCREENSHOT" "file://$(cd "$(dirname "$out")" && pwd)/$(basename "$out")" \
    2>/dev/null
  echo "screenshot: $SCREENSHOT" >&2
fi
