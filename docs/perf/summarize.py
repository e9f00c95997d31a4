#!/usr/bin/env python3
# summarize.py e2e-run.txt: medians per command, MB/s, CPU s per GB, ratios to main's binary
import sys, statistics as st
import os
# Sizes of the dumps measured (e2e.sh's paths; PERF_DATA overrides the folder).
D = os.environ.get('PERF_DATA', '/work/data/perf')
def fsize(p, default):
    try: return os.path.getsize(p)
    except OSError: return default
big = fsize(f'{D}/big/big.rdb', 1051801828); big2 = fsize(f'{D}/big2/big2.rdb', 1050757832)
small = int(sys.argv[2]) if len(sys.argv) > 2 else sum(fsize(f'{D}/small/{f}', 0) for f in (os.listdir(f'{D}/small') if os.path.isdir(f'{D}/small') else []))
size = {'cat': big, 'check': big, 'rdbmem': big, 'main': big, 'perf': big, 'perf-1core': big, 'perf-inproc': big,
        'main-j2': big + big2, 'perf-j2': big + big2, 'main-small': small, 'perf-small': small}
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) != 5: continue
    runs.setdefault(f[0], []).append((float(f[1]), float(f[2]) + float(f[3]), int(f[4])))
print('| command | runs | wall (median) | CPU user+sys (median) | MB/s | CPU s per GB | tree RSS (range) |')
print('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
med = {}
for k, v in runs.items():
    w = st.median(x[0] for x in v); c = st.median(x[1] for x in v)
    med[k] = (w, c)
    sz = size.get(k, big)
    print(f'| {k} | {len(v)} | {w:.2f} s | {c:.2f} s | {sz/1e6/w:.0f} | {c/(sz/1e9):.2f} | {min(x[2] for x in v)}–{max(x[2] for x in v)} MiB |')
def ratio(a, b):
    if a in med and b in med:
        print(f'{a} vs {b}: wall {med[b][0]/med[a][0]:.2f}x faster, CPU {med[a][1]/med[b][1]:.2f} of it')
for a, b in [('perf', 'main'), ('perf', 'check'), ('perf', 'rdbmem'), ('perf-j2', 'main-j2'), ('perf-small', 'main-small'), ('perf', 'perf-1core'), ('perf-inproc', 'check')]:
    ratio(a, b)
# per-round ratios (robust to load drift)
rounds = {}
for k, v in runs.items():
    for i, x in enumerate(v): rounds.setdefault(i, {})[k] = x
for i, r in rounds.items():
    s = ' '.join(f'{a}/{b}={r[b][0]/r[a][0]:.2f}' for a, b in [('perf','main'),('perf','check'),('perf','rdbmem'),('perf-j2','main-j2'),('perf','perf-1core')] if a in r and b in r)
    print(f'round {i+1} wall speedups: {s}')
if 'perf' in med and 'perf-j2' in med:
    print(f"-j 2 on two dumps vs one: throughput {(big+big2)/med['perf-j2'][0] / (big/med['perf'][0]):.2f}x")
if 'main' in med and 'main-j2' in med:
    print(f"main -j 2 on two dumps vs one: throughput {(big+big2)/med['main-j2'][0] / (big/med['main'][0]):.2f}x")
