#!/bin/bash
# stages.sh ROUNDS: CPU (user+sys) of the pipeline's stages on big.rdb,
# one core each, interleaved: framer only (BenchmarkFramer: framing, CRC64,
# SHA-256, the file read into memory first), the child's work
# (BenchmarkRun workers=1: framer + values + estimates, null sink), and the
# whole run in one process (--isolate=false: + profile + JSON).
D=/work/data/perf; O=/tmp/pm
for i in $(seq 1 ${1:-3}); do
  /usr/bin/time -f "framer %e %U %S" env GOMAXPROCS=1 $O/parse.test -test.run '^$' -test.bench 'BenchmarkFramer$' -test.benchtime 1x -dump $D/big/big.rdb 2>&1 >/dev/null | tail -1
  /usr/bin/time -f "scan1 %e %U %S" env GOMAXPROCS=1 $O/scan.test -test.run '^$' -test.bench 'BenchmarkRun/workers=1$' -test.benchtime 1x -test.v -dump $D/big/big.rdb 2>&1 > $O/scan-bench.txt | tail -1
  /usr/bin/time -f "inproc1 %e %U %S" env GOMAXPROCS=1 /work/data/perf/bin/rdbscope-perf analyze -q --isolate=false --json $O/inproc.json $D/big/big.rdb 2>&1 | tail -1
  /usr/bin/time -f "readfile %e %U %S" cat $D/big/big.rdb 2>&1 >/dev/null | tail -1
done
