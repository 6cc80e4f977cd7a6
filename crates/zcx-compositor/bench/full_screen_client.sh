#!/usr/bin/env bash
# X server CPU per second of a real MIT-SHM client under each compositor: GStreamer's
# ximagesink showing 4K snow (`videotestsrc pattern=snow`, about 31 fps, bounded by GStreamer)
# on a private Xvfb 3840x2160x24 with no window manager, where ximagesink's window is 3840x2160
# at 0,0: full screen, opaque, nothing over it. Configurations, interleaved REPS times:
#   none                no compositor
#   zcx                 zcx-compositor as it runs by default (it unredirects the window)
#   zcx-no-unredirect   zcx-compositor --no-unredirect (the window stays composited)
#   xcompmgr, picom-xrender   when installed (picom with --config /dev/null)
# Per run, over SECONDS after WARMUP: Xvfb CPU and compositor CPU (ms per second, from
# /proc/<pid>/stat) and the client's fps (buffers through an identity element just before
# ximagesink; `sync=false`, so that the sink draws every buffer rather than dropping late
# ones, which it does at 4K on a busy machine). Prints
# each run and the medians, and the load average (other work on the machine changes everything).
#
#   cargo build --release -p zcx-compositor
#   crates/zcx-compositor/bench/full_screen_client.sh [SECONDS] [WARMUP] [REPS]
set -euo pipefail
SECONDS_RUN=${1:-10}
WARMUP=${2:-3}
REPS=${3:-3}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
ZCX=$ROOT/target/release/zcx-compositor
[ -x "$ZCX" ] || { echo "missing $ZCX: cargo build --release -p zcx-compositor" >&2; exit 1; }
command -v gst-launch-1.0 >/dev/null || { echo "gst-launch-1.0 is not installed" >&2; exit 1; }
OUT=$(mktemp -d /tmp/zcx-fullscreen.XXXXXX)

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
start_xvfb "$OUT"

# Frames through the pipeline so far: identity logs one line per buffer.
frames() { grep -c 'identity0:sink' "$1" 2>/dev/null || true; }
CONFIGS=(none zcx zcx-no-unredirect)
command -v xcompmgr >/dev/null && CONFIGS+=(xcompmgr)
command -v picom >/dev/null && CONFIGS+=(picom-xrender)

COMP=""
start_compositor() { # name; sets COMP to its pid (empty for none)
  COMP=""
  case $1 in
    none) return 0 ;;
    zcx) "$ZCX" --display "$DISP" -v >"$OUT/$1.log" 2>&1 & ;;
    zcx-no-unredirect) "$ZCX" --display "$DISP" --no-unredirect -v >"$OUT/$1.log" 2>&1 & ;;
    xcompmgr) DISPLAY=$DISP xcompmgr >"$OUT/$1.log" 2>&1 & ;;
    picom-xrender) DISPLAY=$DISP picom --backend xrender --config /dev/null >"$OUT/$1.log" 2>&1 & ;;
  esac
  COMP=$!
}

run_one() { # name rep
  local name=$1 comp
  start_compositor "$name"
  comp=$COMP
  sleep 1
  DISPLAY=$DISP gst-launch-1.0 -v videotestsrc pattern=snow \
    ! video/x-raw,width=3840,height=2160 ! identity silent=false \
    ! ximagesink sync=false >"$OUT/$name.$2.gst.log" 2>&1 &
  local gst=$!
  sleep "$WARMUP"
  local x0 c0=0 x1 c1=0 f0 f1
  x0=$(ticks $XVFB); [ -n "$comp" ] && c0=$(ticks "$comp"); f0=$(frames "$OUT/$name.$2.gst.log")
  sleep "$SECONDS_RUN"
  x1=$(ticks $XVFB); [ -n "$comp" ] && c1=$(ticks "$comp"); f1=$(frames "$OUT/$name.$2.gst.log")
  kill $gst 2>/dev/null || true; wait $gst 2>/dev/null || true
  if [ -n "$comp" ]; then kill "$comp" 2>/dev/null || true; wait "$comp" 2>/dev/null || true; fi
  awk -v n="$name" -v x=$((x1 - x0)) -v c=$((c1 - c0)) -v hz="$HZ" -v s="$SECONDS_RUN" -v f=$((f1 - f0)) \
    'BEGIN { printf "%s %.0f %.0f %.1f\n", n, x * 1000 / hz / s, c * 1000 / hz / s, f / s }' \
    | tee -a "$OUT/runs.txt"
  sleep 1
}

echo "Xvfb $DISP 3840x2160x24, ${SECONDS_RUN}s after ${WARMUP}s, $REPS reps; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "config X-CPU-ms/s compositor-CPU-ms/s client-fps"
for rep in $(seq "$REPS"); do
  for c in "${CONFIGS[@]}"; do run_one "$c" "$rep"; done
done
echo "medians (load now: $(cut -d' ' -f1-3 /proc/loadavg)):"
python3 - "$OUT/runs.txt" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, x, c, f = line.split()
    rows.setdefault(name, []).append((float(x), float(c), float(f)))
def med(rs, key):
    vals = [key(r) for r in rs if r[2] > 0]
    return statistics.median(vals) if vals else float("nan")
none = rows.get("none", [])
base_s, base_f = med(none, lambda r: r[0]), med(none, lambda r: r[0] / r[2])
print("| configuration | X CPU ms/s | vs none | X CPU ms/frame | vs none | compositor CPU ms/s | client fps |")
print("|---|---|---|---|---|---|---|")
for name, rs in rows.items():
    x, pf = med(rs, lambda r: r[0]), med(rs, lambda r: r[0] / r[2])
    c, f = med(rs, lambda r: r[1]), med(rs, lambda r: r[2])
    print(f"| {name} | {x:.0f} | {x / base_s:.2f}x | {pf:.2f} | {pf / base_f:.2f}x | {c:.0f} | {f:.1f} |")
EOF
grep -h "unredirected\|composited again" "$OUT"/zcx.log | head -n 3 || true
echo "logs: $OUT"
