#!/bin/bash
# 32 small node dumps for the many-dumps case (mixed preset, scale 0.1, seeds 201..232)
set -e
mkdir -p /work/data/perf/small
for s in $(seq 201 232); do
  /work/shared/tools/mkdump/run.sh --out /work/data/perf/small/tmp$s --seed $s --scale 0.1 --truth live --port-min 7610 --port-max 7640 mixed >/dev/null 2>&1
  mv /work/data/perf/small/tmp$s/mixed.rdb /work/data/perf/small/node$s.rdb
  rm -rf /work/data/perf/small/tmp$s
done
