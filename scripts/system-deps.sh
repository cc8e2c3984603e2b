#!/usr/bin/env bash
# Debian packages kakehashi needs beyond Python: the Japanese font for charts and
# PDF reports (fonts-noto-cjk), Chromium for the dashboard's browser tests
# (Playwright drives /usr/bin/chromium; never `playwright install`) and a Java
# runtime for Spark when none is present.
# Without root (a locked-down office PC) it says what is skipped and carries on:
# everything but the PDF fonts (and Spark, if no Java is installed) still works.
set -u
pkgs="fonts-noto-cjk chromium"
command -v java >/dev/null 2>&1 || pkgs="$pkgs openjdk-17-jre-headless"
missing=""
for p in $pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "kakehashi: not root, so the Debian packages${missing} are not installed;" \
       "PDF reports will lack the Japanese font, the browser tests are skipped without chromium" \
       "(and Spark needs a Java runtime). Ask your administrator for them." >&2
  exit 0
fi
echo "kakehashi: installing Debian packages:${missing}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null \
  || echo "kakehashi: apt-get could not install${missing}; continuing without them." >&2
exit 0
