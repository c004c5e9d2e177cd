"""Hand-written SVG charts for bench/ reports (standard library only): a horizontal bar chart
with min-max whiskers for 10-run comparisons, and a multi-series line chart for soak time series
(throughput and RSS over epochs). Files open in any browser."""

import math
from xml.sax.saxutils import escape

PALETTE = ["#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
GROUP_COLORS = {"same-binary": "#d95f02", "linked": "#1b9e77", "preload": "#7570b3"}


def _nice_ticks(lo, hi, count=5):
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 10))
    return ticks


def _fmt(v):
    return f"{v:.0f}" if abs(v) >= 100 or v == int(v) else f"{v:.3g}"


def _write(path, width, height, body):
    with open(path, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">\n')
        f.write(f'<rect width="{width}" height="{height}" fill="white"/>\n')
        f.write("\n".join(body))
        f.write("\n</svg>\n")


def bar_chart(path, title, labels, values, lows, highs, groups, unit):
    """One horizontal bar per label (value), a whisker from low to high, colour by group."""
    row, left, right, top = 26, 170, 90, 50
    width = 820
    height = top + row * len(labels) + 60
    plot_w = width - left - right
    ticks = _nice_ticks(0, max(highs + values) or 1)
    scale = plot_w / ticks[-1]
    body = [f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>']
    for t in ticks:
        x = left + t * scale
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + row * len(labels)}" stroke="#ddd"/>')
        body.append(f'<text x="{x:.1f}" y="{top + row * len(labels) + 16}" text-anchor="middle">{_fmt(t)}</text>')
    body.append(f'<text x="{left + plot_w / 2}" y="{top + row * len(labels) + 34}" text-anchor="middle">{escape(unit)}</text>')
    for i, (label, v, lo, hi, g) in enumerate(zip(labels, values, lows, highs, groups)):
        y = top + i * row
        color = GROUP_COLORS.get(g, PALETTE[i % len(PALETTE)])
        body.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>')
        body.append(f'<rect x="{left}" y="{y + 4}" width="{v * scale:.1f}" height="{row - 8}" fill="{color}">'
                    f'<title>{escape(label)}: {v:.3f} {escape(unit)} ({escape(g)})</title></rect>')
        body.append(f'<line x1="{left + lo * scale:.1f}" y1="{y + row / 2}" x2="{left + hi * scale:.1f}" '
                    f'y2="{y + row / 2}" stroke="black"/>')
        for w in (lo, hi):
            body.append(f'<line x1="{left + w * scale:.1f}" y1="{y + 8}" x2="{left + w * scale:.1f}" y2="{y + row - 8}" stroke="black"/>')
        body.append(f'<text x="{left + max(hi, v) * scale + 6:.1f}" y="{y + 16}">{v:.2f}</text>')
    legend_y = height - 12
    for j, (g, c) in enumerate(GROUP_COLORS.items()):
        body.append(f'<rect x="{left + j * 150}" y="{legend_y - 10}" width="12" height="12" fill="{c}"/>'
                    f'<text x="{left + j * 150 + 16}" y="{legend_y}">{g}</text>')
    _write(path, width, height, body)


def line_chart(path, title, series, xlabel, ylabel, y_from_zero=True):
    """series: [(name, [(x, y), ...]), ...] drawn as polylines on shared axes with a legend."""
    width, height, left, right, top, bottom = 820, 420, 80, 170, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for _, pts in series for x, _ in pts] or [0, 1]
    ys = [y for _, pts in series for _, y in pts] or [0, 1]
    xt = _nice_ticks(min(xs), max(xs))
    yt = _nice_ticks(0 if y_from_zero else min(ys), max(ys))
    def px(x):
        return left + (x - xt[0]) / ((xt[-1] - xt[0]) or 1) * plot_w
    def py(y):
        return top + plot_h - (y - yt[0]) / ((yt[-1] - yt[0]) or 1) * plot_h
    body = [f'<text x="{(left + width - right) / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>']
    for t in yt:
        body.append(f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + plot_w}" y2="{py(t):.1f}" stroke="#ddd"/>'
                    f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    for t in xt:
        body.append(f'<text x="{px(t):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{_fmt(t)}</text>')
    body.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>')
    body.append(f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">{escape(xlabel)}</text>')
    body.append(f'<text transform="translate(18 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">{escape(ylabel)}</text>')
    for i, (name, pts) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        if pts:
            coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            body.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        body.append(f'<rect x="{width - right + 12}" y="{top + i * 20}" width="12" height="12" fill="{color}"/>'
                    f'<text x="{width - right + 30}" y="{top + i * 20 + 11}">{escape(name)}</text>')
    _write(path, width, height, body)
