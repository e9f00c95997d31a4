#!/bin/bash
# ab-j2.sh ROUNDS: two dumps with -j 2, each child on every core (perf) or
# on its share of them (perfw, worker.shareOfCores), interleaved.
B=/work/data/perf/bin; D=/work/data/perf; O=/tmp/pm
for i in $(seq 1 ${1:-2}); do
  for v in perf perfw; do
    /usr/bin/time -f "$v-j2 %e %U %S 0" $B/rdbscope-$v analyze -q -j 2 --json $O/$v-ab.json $D/big/big.rdb $D/big2/big2.rdb 2>&1 | tail -1
  done
done
