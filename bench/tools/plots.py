"""Every chart of bench/ and perf_tools/, drawn with matplotlib (Debian python3-matplotlib for
/usr/bin/python3; ./bazelw installs it): 10-run bars with min-max whiskers, time-series lines
(soak, tail), A/B distributions per side, and the layout-noise spread. Each chart is written as
the SVG path it is given plus a PNG beside it. Agg backend: no display is needed."""

import os
import statistics
import tempfile

plt = None
MISSING = None


def _config_dir():
    """A writable folder for matplotlib's font cache, kept across runs when possible (building it
    costs seconds; a Bazel test's HOME is read-only and its TMPDIR is fresh every time)."""
    for base in ("/tmp", tempfile.gettempdir()):
        path = os.path.join(base, f"hakmem-matplotlib-{os.getuid()}")
        try:
            os.makedirs(path, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            pass
    return tempfile.mkdtemp(prefix="matplotlib.")


def _pyplot():
    """matplotlib.pyplot, imported on first use (about a CPU-second: tools that stop at a usage
    error never pay it); None, with MISSING saying why, when python3-matplotlib is absent."""
    global plt, MISSING
    if plt is None and MISSING is None:
        os.environ.setdefault("MPLCONFIGDIR", _config_dir())
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as pyplot

            plt = pyplot
        except ImportError as e:  # the tools still measure and report; they say why no chart appears
            MISSING = f"charts skipped: matplotlib is not importable ({e}); apt-get install python3-matplotlib"
    return plt


GROUP_COLORS = {"same-binary": "#d95f02", "linked": "#1b9e77", "preload": "#7570b3"}


def _save(fig, path):
    """path (.svg) and the same name with .png; returns both paths."""
    fig.tight_layout()
    png = os.path.splitext(path)[0] + ".png"
    fig.savefig(path)
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return [path, png]


def bar_chart(path, title, labels, values, lows, highs, groups, unit):
    """One horizontal bar per label (value), a whisker from low to high, colour by group."""
    if not _pyplot():
        return []
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.4))
    ys = list(range(len(labels)))[::-1]
    colors = [GROUP_COLORS.get(g, "#666666") for g in groups]
    err = [[v - lo for v, lo in zip(values, lows)], [hi - v for v, hi in zip(values, highs)]]
    ax.barh(ys, values, color=colors, xerr=err, capsize=3)
    ax.set_yticks(ys, labels)
    for y, v in zip(ys, values):
        ax.text(v, y, f" {v:.2f}", va="center", ha="left", fontsize=8)
    ax.set_xlabel(unit)
    ax.set_title(title, fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for g, c in GROUP_COLORS.items() if g in groups]
    if handles:
        ax.legend(handles, [g for g in GROUP_COLORS if g in groups], fontsize=8, loc="lower right")
    return _save(fig, path)


def line_chart(path, title, series, xlabel, ylabel, y_from_zero=True):
    """series: [(name, [(x, y), ...]), ...] drawn as lines on shared axes with a legend."""
    if not _pyplot():
        return []
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, points in series:
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], label=name, linewidth=1.2)
    if y_from_zero:
        ax.set_ylim(bottom=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def distributions(path, title, samples, unit):
    """samples: {side: [values]}: a box per side with every round's value drawn over it."""
    if not _pyplot():
        return []
    names = list(samples)
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(names) + 2), 4.5))
    ax.boxplot([samples[n] for n in names], showmeans=True)
    for i, n in enumerate(names, start=1):
        values = samples[n]
        xs = [i + 0.18 * ((k % 5) - 2) / 2 for k in range(len(values))]
        ax.scatter(xs, values, s=10, alpha=0.6, color="#1b9e77", zorder=3)
    # "HAK_RB_X=1 linked" -> two lines; long or many labels are slanted so they do not overlap
    labels = [n.replace(" ", "\n") for n in names]
    slant = len(names) > 4 or max(len(l) for n in labels for l in n.split("\n")) > 12
    ax.set_xticks(
        range(1, len(names) + 1), labels, rotation=25 if slant else 0, ha="right" if slant else "center", fontsize=8
    )
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def spread(path, title, medians, unit, band_pct):
    """medians: {copy: median}: one point per copy, the grand median as a line and the band of
    +-band_pct/2 around it (the layout-noise floor's spread)."""
    if not _pyplot():
        return []
    names = list(medians)
    values = [medians[n] for n in names]
    mid = sorted(values)[len(values) // 2]
    fig, ax = plt.subplots(figsize=(max(5, 0.8 * len(names) + 2), 4))
    ax.axhspan(min(values), max(values), color="#d95f02", alpha=0.15, label=f"spread of medians {band_pct:.2f} %")
    ax.axhline(mid, color="#666666", linewidth=0.8)
    ax.plot(range(len(names)), values, "o", color="#d95f02")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def ratio_rounds(path, title, groups, series):
    """series: {name: {group: [ratio per round]}}: for each group (an app) one column of points
    per name (an allocator), every round drawn, a bar at each median; a line at 1.0 (parity)."""
    if not _pyplot():
        return []
    names = list(series)
    width = 0.8 / max(1, len(names))
    fig, ax = plt.subplots(figsize=(max(7, 0.35 * len(groups) * len(names) + 2), 4.8))
    colors = plt.get_cmap("tab10")
    for k, name in enumerate(names):
        for g, group in enumerate(groups):
            values = series[name].get(group)
            if not values:
                continue
            x = g - 0.4 + width * (k + 0.5)
            ax.scatter(
                [x] * len(values),
                values,
                s=9,
                alpha=0.6,
                color=colors(k % 10),
                label=name if g == 0 else None,
                zorder=3,
            )
            ax.hlines(statistics.median(values), x - width * 0.4, x + width * 0.4, color=colors(k % 10), linewidth=2)
    ax.axhline(1.0, color="#666666", linewidth=0.8)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel("ratio (lower is better)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncol=min(4, len(names)))
    return _save(fig, path)
