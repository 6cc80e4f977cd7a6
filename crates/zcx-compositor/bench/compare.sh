#!/usr/bin/env bash
# Compares compositors on one 4K window fed as fast as possible by
# `zcx-producer --mode shm-pixmap --fps 0 --size 3840x2160` on its own Xvfb 3840x2160x24:
# none, zcx-compositor (server-copy with and without the HUD, gl per importer), picom --backend
# glx and --backend xrender (config /dev/null) and xcompmgr, all in one run. Per
# configuration, over SECONDS after a WARMUP:
#   repaints/s  repaints reaching the screen (Damage on the root, examples/screen_rate)
#   zcx fps     frames zcx-compositor composited (its --stats-json); zcx-server-copy is the
#               default strategy, zcx-gl-* composite every pixel with GL (--composite gl),
#               zcx-gl-egl-surface presents through an EGL window surface (--present)
#   comp CPU    compositor process CPU, % of one core and ms per screen repaint
#   X CPU       Xvfb CPU, % of one core
# Prints the load average, since other builds on the machine change everything.
#
#   cargo build --release -p zcx-producer -p zcx-compositor --examples --bins
#   crates/zcx-compositor/bench/compare.sh [SECONDS] [WARMUP] [ONLY]
# ONLY (an extended regex, default: everything) selects configurations by name, e.g.
#   compare.sh 8 2 'none|zcx-server-copy|picom-xrender'
set -euo pipefail
SECONDS_RUN=${1:-10}
WARMUP=${2:-3}
ONLY=${3:-.}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
REL=$ROOT/target/release
OUT=$(mktemp -d /tmp/zcx-compare.XXXXXX)
for b in zcx-producer zcx-compositor examples/screen_rate; do
  [ -x "$REL/$b" ] || { echo "missing $REL/$b: build with --release first" >&2; exit 1; }
done

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
start_xvfb "$OUT"


run_one() { # name, command... (empty command: no compositor)
  local name=$1; shift
  local comp=""
  [[ $name =~ $ONLY ]] || return 0
  if [ $# -gt 0 ]; then
    "$@" >"$OUT/$name.log" 2>&1 &
    comp=$!
    sleep 1
    if ! kill -0 $comp 2>/dev/null; then
      echo "$name: did not start: $(tail -n 2 "$OUT/$name.log")"
      return 0
    fi
  fi
  "$REL/zcx-producer" --display "$DISP" --mode shm-pixmap --fps 0 --size 3840x2160 >"$OUT/$name.producer.log" 2>&1 &
  local prod=$!
  sleep "$WARMUP"
  local c0=0 x0; x0=$(ticks $XVFB); [ -n "$comp" ] && c0=$(ticks $comp)
  local rate; rate=$(DISPLAY=$DISP "$REL/examples/screen_rate" "$SECONDS_RUN")
  local c1=0 x1; x1=$(ticks $XVFB); [ -n "$comp" ] && c1=$(ticks $comp)
  kill $prod 2>/dev/null || true; wait $prod 2>/dev/null || true
  if [ -n "$comp" ]; then kill -TERM $comp 2>/dev/null || true; wait $comp 2>/dev/null || true; fi
  local zfps="-"
  [ -f "$OUT/$name.json" ] && zfps=$(grep -o '"fps": [0-9.]*' "$OUT/$name.json" | awk '{printf "%.1f", $2}')
  local rps; rps=$(echo "$rate" | grep -o '"per_second":[0-9.]*' | cut -d: -f2)
  awk -v n="$name" -v r="$rps" -v z="$zfps" -v c=$((c1 - c0)) -v x=$((x1 - x0)) -v hz="$HZ" -v s="$SECONDS_RUN" \
    'BEGIN { cpu = c / hz * 1000; ms = (r > 0 && cpu > 0) ? sprintf("%.1f", cpu / (r * s)) : "-";
             printf "%-22s %10.1f %8s %9.0f%% %10s %7.0f%%\n", n, r, z, cpu / s / 10, ms, x / hz * 100 / s }'
}

echo "display $DISP, load average before: $(cut -d' ' -f1-3 /proc/loadavg), output in $OUT"
printf "%-22s %10s %8s %10s %10s %8s\n" config repaints/s "zcx fps" "comp CPU" "ms/repaint" "X CPU"
run_one none
run_one zcx-server-copy "$REL/zcx-compositor" --display "$DISP" --composite server-copy --stats-json "$OUT/zcx-server-copy.json"
# --no-unredirect: without a HUD the full-screen producer would bypass the compositor.
run_one zcx-server-copy-nohud "$REL/zcx-compositor" --display "$DISP" --composite server-copy --no-hud --no-unredirect --stats-json "$OUT/zcx-server-copy-nohud.json"
for imp in shm-get-image get-image; do
  run_one "zcx-gl-$imp" "$REL/zcx-compositor" --display "$DISP" --composite gl --import "$imp" --stats-json "$OUT/zcx-gl-$imp.json"
done
run_one zcx-gl-egl-surface "$REL/zcx-compositor" --display "$DISP" --composite gl --import shm-get-image --present egl-surface --stats-json "$OUT/zcx-gl-egl-surface.json"
if command -v picom >/dev/null; then
  run_one picom-glx env DISPLAY="$DISP" picom --backend glx --config /dev/null
  run_one picom-xrender env DISPLAY="$DISP" picom --backend xrender --config /dev/null
else
  echo "skipped: picom is not installed"
fi
if command -v xcompmgr >/dev/null; then
  run_one xcompmgr env DISPLAY="$DISP" xcompmgr
else
  echo "skipped: xcompmgr is not installed"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
