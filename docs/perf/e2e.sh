#!/bin/bash
# e2e.sh ROUNDS: interleaved end-to-end runs for docs/performance.md.
# Each line: name wall_s user_s sys_s tree_peak_rss_mib
# (tree RSS: sum of VmRSS over the process tree, sampled every 20 ms by
# this script, whose own CPU is not counted in user/sys).
B=/work/data/perf/bin; D=/work/data/perf; O=/tmp/pm
mkdir -p $O
run() {
  name=$1; shift
  /usr/bin/time -o $O/time.$$ -f "%e %U %S" "$@" >/dev/null 2>$O/err.$name &
  tpid=$!
  peak=0
  while kill -0 $tpid 2>/dev/null; do
    pids=$(pstree -pT $tpid 2>/dev/null | grep -o '([0-9]*)' | tr -d '()')
    s=0
    for p in $pids; do r=$(awk '/^VmRSS/{print $2}' /proc/$p/status 2>/dev/null); s=$((s + ${r:-0})); done
    [ $s -gt $peak ] && peak=$s
    sleep 0.02
  done
  wait $tpid
  echo "$name $(cat $O/time.$$) $((peak/1024))"
}
for i in $(seq 1 ${1:-3}); do
  run cat cat $D/big/big.rdb
  run check redis-check-rdb $D/big/big.rdb
  run rdbmem $B/rdb -c memory -o $O/mem.csv $D/big/big.rdb
  run main $B/rdbscope-main analyze -q --json $O/main.json $D/big/big.rdb
  run perf $B/rdbscope-perf analyze -q --json $O/perf.json $D/big/big.rdb
  run perf-inproc $B/rdbscope-perf analyze -q --isolate=false --json $O/perfin.json $D/big/big.rdb
  run perf-1core env GOMAXPROCS=1 $B/rdbscope-perf analyze -q --json $O/perf1.json $D/big/big.rdb
  run main-j2 $B/rdbscope-main analyze -q -j 2 --json $O/mainj2.json $D/big/big.rdb $D/big2/big2.rdb
  run perf-j2 $B/rdbscope-perf analyze -q -j 2 --json $O/perfj2.json $D/big/big.rdb $D/big2/big2.rdb
  run main-small $B/rdbscope-main analyze -q -j 2 --json $O/mainsmall.json $D/small/
  run perf-small $B/rdbscope-perf analyze -q -j 2 --json $O/perfsmall.json $D/small/
done
