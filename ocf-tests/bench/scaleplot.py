#!/usr/bin/env python3
"""Takeover time against SB size, as an SVG line plot (no plotting library needed).

    scaleplot.py SCALE.TSV OUT.SVG [FAILED.TSV]

SCALE.TSV: scale.sh's raw data, a header line then one row per failover:
size, sb_bytes, agent, trigger, run, seconds, nb_in_sb_s (tab-separated). One panel per
figure (SB answers again after kill -9 of the SB, after a power-off; an NB change shows in
the SB after a power-off), x the SB file's size (log scale, MB), y seconds; one line per
agent through the medians, a bar from min to max at each size. FAILED.TSV (scale.sh's
scale-failed.tsv: size, agent, why) adds a cross at the top of every panel where an agent
did not recover at a size, so that a line that stops is not read as "not measured". The
power-off panel has the takeover goal as a dashed line (at any size, at most twice shape A's
median at the smallest size in the data).
"""

import math
import statistics
import sys
from collections import defaultdict

AGENTS = [
    ("ovn-ocf", "ovn-ocf, shape A", "#1f77b4"),
    ("ovn-ocf-b", "ovn-ocf, shape B", "#2ca02c"),
    ("ovn-ocf-d", "ovn-ocf, shape D", "#9467bd"),
    ("incumbent", "ovndb-servers.ocf", "#d62728"),
    ("raft", "OVN RAFT, 3 nodes", "#ff7f0e"),
]
PANELS = [
    ("kill", "seconds", "kill -9 of the SB ovsdb-server (RAFT: leader): SB answers"),
    ("power", "seconds", "power-off of the serving node (RAFT: SB leader's): SB answers"),
    ("power", "nb_in_sb_s", "power-off: a new NB change shows in the SB (northd)"),
]
W, H = 460, 330           # one panel
ML, MR, MT, MB = 58, 16, 34, 48


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_max(v):
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * e:
            return m * e
    return 10 * e


def load(path):
    rows = []
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if len(cells) == len(head):
                rows.append(dict(zip(head, cells)))
    return rows


def panel(out, x0, y0, rows, trigger, col, title, failed=(), goal=None):
    pts = defaultdict(lambda: defaultdict(list))   # agent -> mb -> [s]
    for r in rows:
        if r["trigger"] != trigger or not r.get(col):
            continue
        try:
            v = float(r[col])
            mb = int(r["sb_bytes"]) / 1e6
        except ValueError:
            continue
        pts[r["agent"]][mb].append(v)
    mbs = sorted({mb for a in pts.values() for mb in a} | {mb for _, mb in failed})
    out.append(f'<g transform="translate({x0},{y0})">')
    out.append(f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="13" '
               f'font-weight="bold">{esc(title)}</text>')
    pw, ph = W - ML - MR, H - MT - MB
    if not mbs:
        out.append(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">no data</text></g>')
        return
    lo, hi = math.log10(min(mbs)), math.log10(max(mbs))
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    pad = (hi - lo) * 0.06
    lo, hi = lo - pad, hi + pad
    ymax = nice_max(max([max(v) for a in pts.values() for v in a.values()] + [goal[0] if goal else 0],
                        default=1) * 1.05)

    def X(mb):
        return ML + (math.log10(mb) - lo) / (hi - lo) * pw

    def Y(s):
        return MT + ph - s / ymax * ph

    out.append(f'<rect x="{ML}" y="{MT}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    for k in range(6):
        s = ymax * k / 5
        y = Y(s)
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{ML + pw}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{s:g}</text>')
    for mb in mbs:
        x = X(mb)
        out.append(f'<line x1="{x:.1f}" y1="{MT}" x2="{x:.1f}" y2="{MT + ph}" stroke="#f0f0f0"/>')
        label = f"{mb:.0f}" if mb >= 10 else f"{mb:.1f}"
        out.append(f'<text x="{x:.1f}" y="{MT + ph + 16}" text-anchor="middle" font-size="11">{label}</text>')
    out.append(f'<text x="{ML + pw / 2}" y="{H - 10}" text-anchor="middle" font-size="11">'
               'SB file (MB, log scale)</text>')
    out.append(f'<text x="14" y="{MT + ph / 2}" text-anchor="middle" font-size="11" '
               f'transform="rotate(-90 14 {MT + ph / 2})">seconds</text>')
    if goal:
        y = Y(goal[0])
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{ML + pw}" y2="{y:.1f}" stroke="#444" '
                   'stroke-width="1.2" stroke-dasharray="6,4"/>')
        out.append(f'<text x="{ML + pw - 4}" y="{y - 5:.1f}" text-anchor="end" font-size="11" '
                   f'fill="#444">{esc(goal[1])}</text>')
    for agent, mb in failed:
        k = next((i for i, (a, _, _) in enumerate(AGENTS) if a == agent), 0)
        color = AGENTS[k][2]
        x, y = X(mb), MT + 9 + 13 * k   # one row per agent: crosses at one size stay apart
        out.append(f'<path d="M{x - 5:.1f},{y - 5} L{x + 5:.1f},{y + 5} M{x - 5:.1f},{y + 5} '
                   f'L{x + 5:.1f},{y - 5}" stroke="{color}" stroke-width="2.5"/>')
    for agent, _, color in AGENTS:
        series = pts.get(agent)
        if not series:
            continue
        line = []
        for mb in sorted(series):
            vals = series[mb]
            x, med = X(mb), statistics.median(vals)
            line.append(f"{x:.1f},{Y(med):.1f}")
            out.append(f'<line x1="{x:.1f}" y1="{Y(min(vals)):.1f}" x2="{x:.1f}" '
                       f'y2="{Y(max(vals)):.1f}" stroke="{color}" stroke-width="1.5"/>')
            out.append(f'<circle cx="{x:.1f}" cy="{Y(med):.1f}" r="3.2" fill="{color}"/>')
        out.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{color}" '
                   'stroke-width="2"/>')
    out.append("</g>")


def power_goal(rows):
    """The takeover goal for a power-off at any size: at most 2x shape A's own median at the
    smallest size measured. (seconds, label), or None without shape A power-off rows."""
    a = [r for r in rows if r["agent"] == "ovn-ocf" and r["trigger"] == "power"
         and r.get("seconds") and r.get("sb_bytes", "").isdigit()]
    if not a:
        return None
    small = min(int(r["sb_bytes"]) for r in a)
    med = statistics.median(float(r["seconds"]) for r in a if int(r["sb_bytes"]) == small)
    return 2 * med, f"goal: 2 \u00d7 shape A at {small / 1e6:.1f} MB = {2 * med:.2f} s"


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    rows = load(argv[1])
    mb_of = {r["size"]: int(r["sb_bytes"]) / 1e6 for r in rows if r.get("sb_bytes", "").isdigit()}
    failed = []
    if len(argv) == 4:
        failed = [(f["agent"], mb_of[f["size"]]) for f in load(argv[3]) if f["size"] in mb_of]
    cols = 2
    nrow = (len(PANELS) + 1) // cols
    width, height = cols * W, nrow * H + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    goal = power_goal(rows)
    for i, (trigger, col, title) in enumerate(PANELS):
        panel(out, (i % cols) * W, (i // cols) * H, rows, trigger, col, title, failed,
              goal if (trigger, col) == ("power", "seconds") else None)
    # The legend: in the empty fourth cell.
    lx, ly = W + 60, H + 70
    present = {r["agent"] for r in rows} | {a for a, _ in failed}
    out.append(f'<text x="{lx}" y="{ly - 22}" font-size="12">median (line, dot) and min–max '
               '(bar) over the runs</text>')
    k = 0
    for agent, label, color in AGENTS:
        if agent not in present:
            continue
        y = ly + k * 22
        out.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 28}" y2="{y}" stroke="{color}" stroke-width="3"/>')
        out.append(f'<text x="{lx + 36}" y="{y + 4}" font-size="12">{esc(label)}</text>')
        k += 1
    if failed:
        y = ly + k * 22 + 8
        out.append(f'<path d="M{lx + 9},{y - 5} L{lx + 19},{y + 5} M{lx + 9},{y + 5} L{lx + 19},{y - 5}" '
                   'stroke="#444" stroke-width="2.5"/>')
        out.append(f'<text x="{lx + 36}" y="{y + 4}" font-size="12">near the top: did not recover '
                   'at that size</text>')
    out.append("</svg>")
    tmp = argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    import os
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
