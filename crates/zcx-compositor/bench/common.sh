# Shared by the benchmark scripts here (sourced, not run): a private Xvfb 3840x2160x24 started
# with -displayfd and killed on exit, and CPU ticks from /proc.
#   start_xvfb DIR   sets XVFB (its pid) and DISP (its display); logs to DIR/xvfb.log
#   ticks PID        utime + stime of PID in clock ticks (HZ per second), 0 once it is gone

start_xvfb() {
  exec 3>"$1/displayfd"
  Xvfb -displayfd 3 -screen 0 3840x2160x24 -nolisten tcp 2>"$1/xvfb.log" &
  XVFB=$!
  exec 3>&-
  trap 'kill $XVFB 2>/dev/null || true; wait 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ -s "$1/displayfd" ] && break; sleep 0.1; done
  DISP=:$(head -n1 "$1/displayfd")
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
