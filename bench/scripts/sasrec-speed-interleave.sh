#!/bin/bash
# Side-by-side training-speed round (bench/results/sasrec-speed.md): needs the reference pmixer/SASRec.pytorch
# checked out OUTSIDE the project at /work/ref-sasrec with our timing driver python/time_epochs.py (see sasrec-speed.md),
# Debian python3-torch and libopenblas0-openmp. Usage: WT=<merx checkout with bench built> bash bench/scripts/sasrec-speed-interleave.sh
WT=${WT:-$(cd "$(dirname "$0")/../.." && pwd)}; REF=${REF:-/work/ref-sasrec/python}
export OMP_NUM_THREADS=2
merx() { (cd $WT && dotnet bench/Merx.Benchmarks/bin/Release/net10.0/Merx.Benchmarks.dll sasrec-speed --data /work/shared/datasets/amazon-beauty --epochs 2 --seed 42 --threads 2 2>/dev/null); }
echo "== 2 threads $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
merx
(cd $REF && timeout 480 /usr/bin/python3 time_epochs.py --loss ce --epochs 1 --threads 2 || echo "peer ce: stopped after 480 s without finishing an epoch")
(cd $REF && timeout 480 /usr/bin/python3 time_epochs.py --loss bce --epochs 1 --threads 2 || echo "peer bce: stopped after 480 s without finishing an epoch")
merx
echo "== done $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
