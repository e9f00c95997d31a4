#!/bin/bash
# e2e.sh ROUNDS: interleaved end-to-end runs for docs/performance.md.
# Each line: name wall_s user_s sys_s tree_peak_rss_mib
B=/work/data/perf/bin; D=/work/data/perf; O=/tmp/pm
mkdir -p $O
# treepeak (internal/cmd/treepeak) reports wall, user and sys time and
# the peak RSS of the whole process tree, sampled every 10 ms from /proc
# without forking: a shell loop of pstree and awk every 20 ms, used before
# the fourth session, took CPU from commands that keep both cores busy.
T=$B/treepeak
go build -C "$(dirname "$0")/../.." -o $T ./internal/cmd/treepeak || exit 1 # always: never a stale copy
run() {
  name=$1; shift
  $T -o $O/line "$name" "$@" >/dev/null 2>$O/err.$name
  cat $O/line
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
