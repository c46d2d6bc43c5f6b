#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a browser downloaded by a test tool); the
# brochure's PDF needs Pango (WeasyPrint loads it), which Debian's packages give too.
set -euo pipefail
chromium="${CHROMIUM:-/usr/bin/chromium}"
missing=()
[ -x "$chromium" ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
if [ ${#missing[@]} = 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's ${missing[*]} for the tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need ${missing[*]}: run 'sudo apt-get install ${missing[*]}'" >&2
echo "(or set CHROMIUM to the path of a Chromium binary)." >&2
exit 1
