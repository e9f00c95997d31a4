#!/usr/bin/env bash
# refresh-echarts.sh fetches the ECharts runtime that the HTML report embeds
# (render/assets/echarts.min.js) and the licences of everything bundled into
# it, from the npm packages, and refuses a file whose SHA-256 is not the one
# pinned below. The pin is what makes a refresh a reviewed change: to move to
# a new ECharts version, change VERSION, ZRENDER and TSLIB, run with
# --print-sha, review, then update SHA256 here and echartsSHA256 in
# render/html.go together (TestEChartsPinned fails until both agree).
#
# Usage: render/assets/refresh-echarts.sh [--print-sha]
set -euo pipefail

VERSION=5.6.0
ZRENDER=5.6.1 # echarts@5.6.0 depends on zrender 5.6.1 (bundled into dist/)
TSLIB=2.3.0   # and on tslib 2.3.0 (its helpers are bundled too)
SHA256=bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "echarts@$VERSION" "zrender@$ZRENDER" "tslib@$TSLIB" >/dev/null
mkdir e z t
tar -xzf "echarts-$VERSION.tgz" -C e
tar -xzf "zrender-$ZRENDER.tgz" -C z
tar -xzf "tslib-$TSLIB.tgz" -C t

got=$(sha256sum e/package/dist/echarts.min.js | cut -d' ' -f1)
if [ "${1:-}" = "--print-sha" ]; then
	echo "$got"
	exit 0
fi
if [ "$got" != "$SHA256" ]; then
	echo "echarts@$VERSION dist/echarts.min.js has SHA-256 $got, pinned $SHA256: not replaced" >&2
	exit 1
fi

cp e/package/dist/echarts.min.js "$here/echarts.min.js"
cp e/package/LICENSE "$here/LICENSE-echarts"
cp e/package/NOTICE "$here/NOTICE-echarts"
cp e/package/licenses/LICENSE-d3 "$here/LICENSE-d3"
cp z/package/LICENSE "$here/LICENSE-zrender"
cp t/package/LICENSE.txt "$here/LICENSE-tslib"
echo "render/assets: echarts@$VERSION ($got) and licences refreshed"
