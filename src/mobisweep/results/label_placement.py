"""Point labels that overlap no other label and no point (matplotlib): the figures of the report
and of the committed reference use it."""

from __future__ import annotations

from collections.abc import Sequence


def place_labels(ax, xy: Sequence[tuple[float, float]], texts: Sequence[str],
                 colors: Sequence[str], fontsize: float = 7.5) -> None:
    """Annotate each point where its label overlaps no other label, no point and stays inside the
    axes: greedy over eight offsets, the least overlap where none is free."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes_box = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    marks = []
    for x, y in xy:
        px, py = to_px((x, y))
        marks.append((px - 13, py - 13, px + 13, py + 13))  # a Pareto star: ~25 px at 120 dpi
    placed: list[tuple[float, float, float, float]] = []
    offsets = [(6, 4, "left", "bottom"), (6, -4, "left", "top"), (-6, 4, "right", "bottom"),
               (-6, -4, "right", "top"), (0, 8, "center", "bottom"), (0, -8, "center", "top"),
               (10, 0, "left", "center"), (-10, 0, "right", "center")]
    # Farther out, with a leader line, where the near places are taken.
    offsets += [(sx * dx, sy * dy, "left" if sx > 0 else "right", "bottom" if sy > 0 else "top")
                for dx, dy in ((18, 14), (30, 6), (8, 26)) for sx in (1, -1) for sy in (1, -1)]
    for (x, y), text, color in zip(xy, texts, colors):
        best = None
        for dx, dy, ha, va in offsets:
            far = abs(dx) + abs(dy) > 16
            note = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                               ha=ha, va=va, fontsize=fontsize, color=color,
                               arrowprops={"arrowstyle": "-", "color": color, "lw": 0.6,
                                           "shrinkA": 0, "shrinkB": 4} if far else None)
            box = note.get_window_extent(renderer)
            rect = (box.x0 - 1, box.y0 - 1, box.x1 + 1, box.y1 + 1)
            overlap = sum(_overlap(rect, other) for other in [*placed, *marks])
            outside = (max(0, axes_box.x0 - rect[0]) + max(0, rect[2] - axes_box.x1)
                       + max(0, axes_box.y0 - rect[1]) + max(0, rect[3] - axes_box.y1)) * 100
            score = overlap + outside
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, note, rect)
            else:
                note.remove()
            if score == 0:
                break
        assert best is not None  # every label has at least one candidate place
        placed.append(best[2])


def _overlap(a: tuple, b: tuple) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0
