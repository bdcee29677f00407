#!/usr/bin/env python3
"""Replays LagAlarm.CALIBRATED's early warning on the rows the generalization leg writes.

Usage: tools/alarm_replay.py target/generalization-held-out.csv [more row files ...]
(each row file needs its per-layer twin, generalization-layers-*.csv, beside it).

For every row file it prints early-warning precision and recall per family and overall, scored as
AlarmQuality.ofRuns does (degraded: eval/train >= 2; right when the run degrades at the checkpoint or
within d/(1-d) iterations; only checkpoints whose run decided the outcome), for the forecast's
steady-rate growth and for the growth at the measured rotation rates (LagAlarm.lagGrowth(List)), and
how many checkpoints the replica disagrees with the monitor's own warning on (the leg's `warn`
column was written by whichever rule the monitor ran). A tool for calibration, not run by any leg.
"""
import collections
import csv
import statistics
import sys

FREE, PREDICTED, MEASURED, FORECAST, DEGRADED = 0.16, 9.0, 5.4, 1.72, 2.0


def num(x):
    return float(x) if x not in ('', 'NaN', 'nan') else float('nan')


def load(rows_path):
    layers_path = rows_path.replace('generalization-', 'generalization-layers-', 1)
    runs = collections.defaultdict(list)
    for r in csv.DictReader(open(rows_path)):
        runs[r['run']].append(r)
    for rs in runs.values():
        rs.sort(key=lambda r: int(r['iteration']))
    layers = collections.defaultdict(list)
    for l in csv.DictReader(open(layers_path)):
        layers[(l['run'], int(l['iteration']))].append(l)
    return runs, layers


def median_decay(layers, run, it):
    ds = [num(l['decay']) for l in layers[(run, it)] if 0 <= num(l['decay']) < 1]
    return statistics.median(ds) if ds else float('nan')


def steady_growth(d, it):
    if d != d:
        return 1.0
    t = max(1, it)
    return (1 - d ** (t + d / (1 - d))) / (1 - d ** t)


def measured_growth(runs, layers, run, it, d):
    """The EMA recurrence over each layer's one-step rotations at the run's checkpoints up to `it`."""
    if not d > 0:
        return steady_growth(d, it)
    a = d / (1 - d)
    growths = []
    for now in layers[(run, it)]:
        lag, previous = 0.0, 0
        for r in runs[run]:
            i = int(r['iteration'])
            if i > it:
                break
            rho = next((num(l['rotation']) for l in layers[(run, i)] if l['layer'] == now['layer']), float('nan'))
            if rho == rho and abs(rho) != float('inf') and i > previous:
                lag += rho * d ** (it - i + 1) * (1 - d ** (i - previous)) / (1 - d)
                previous = i
        if lag > 0 and previous == it:
            growths.append(d ** a + num(now['rotation']) * a * (1 - d ** a) / lag)
    return statistics.median(growths) if growths else steady_growth(d, it)


def warns(runs, layers, run, r, measured):
    it = int(r['iteration'])
    cheap = num(r['freeLag']) > FREE or num(r['predictedLag']) > PREDICTED or num(r['measuredLag']) > MEASURED
    excess = num(r['evalPrecise']) - 1
    if excess > 0:
        d = median_decay(layers, run, it)
        g = measured_growth(runs, layers, run, it, d) if measured else steady_growth(d, it)
        forecast = num(r['preciseTrain']) * (1 + excess * g * g)
    else:
        forecast = num(r['evalTrain'])
    return (cheap and forecast >= FORECAST) or num(r['evalTrain']) >= DEGRADED


def score(runs, layers, measured):
    per = collections.defaultdict(lambda: [0, 0, 0, 0])
    disagree = 0
    for run, rs in runs.items():
        horizon = float(rs[0]['meanAge'])
        last = int(rs[-1]['iteration'])
        for r in rs:
            it = int(r['iteration'])
            bad = any(int(o['iteration']) >= it and int(o['iteration']) - it <= horizon
                      and num(o['evalTrain']) >= DEGRADED for o in rs)
            if not bad and horizon > last - it:
                continue
            w = warns(runs, layers, run, r, measured)
            disagree += w != (r['warn'] == 'true')
            c = per[run.split('/')[0]]
            c[0 if w and bad else 1 if w else 2 if bad else 3] += 1
    return per, disagree


def pr(c):
    tp, fp, fn, _ = c
    return (tp / (tp + fp) if tp + fp else float('nan'), tp / (tp + fn) if tp + fn else float('nan'))


if __name__ == '__main__':
    for path in sys.argv[1:]:
        runs, layers = load(path)
        for name, measured in (('steady rate', False), ('measured rates', True)):
            per, disagree = score(runs, layers, measured)
            total = [sum(c[i] for c in per.values()) for i in range(4)]
            print('%s, %s: precision %.3f, recall %.3f (tp %d, fp %d, fn %d, tn %d); disagrees with the monitor at %d'
                  % (path, name, *pr(total), *total, disagree))
            for family, c in sorted(per.items()):
                print('  %-22s precision %.2f, recall %.2f (tp %d, fp %d, fn %d, tn %d)' % (family, *pr(c), *c))
