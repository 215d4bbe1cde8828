"""Pareto fronts and hypervolume for the study's objectives (any mix of maximize and minimize)."""

from __future__ import annotations

from collections.abc import Sequence

Point = Sequence[float]
DIRECTIONS = ("maximize", "minimize")


def _as_minimization(points: Sequence[Point], directions: Sequence[str]) -> list[tuple[float, ...]]:
    if any(d not in DIRECTIONS for d in directions):
        raise ValueError(f"directions must be maximize or minimize, got {list(directions)}")
    if any(len(p) != len(directions) for p in points):
        raise ValueError(f"every point needs {len(directions)} objectives")
    signs = [-1.0 if d == "maximize" else 1.0 for d in directions]
    return [tuple(s * float(v) for s, v in zip(signs, p)) for p in points]


def dominates(a: Point, b: Point) -> bool:
    """``a`` dominates ``b`` (both minimized): no worse anywhere, better somewhere."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def non_dominated_sort(points: Sequence[Point], directions: Sequence[str]) -> list[int]:
    """The front rank of every point: 0 for the Pareto front, 1 for the front once it is
    removed..."""
    costs = _as_minimization(points, directions)
    ranks = [-1] * len(costs)
    remaining, rank = set(range(len(costs))), 0
    while remaining:
        front = {i for i in remaining
                 if not any(dominates(costs[j], costs[i]) for j in remaining if j != i)}
        for i in front:
            ranks[i] = rank
        remaining -= front
        rank += 1
    return ranks


def pareto_front(points: Sequence[Point], directions: Sequence[str]) -> list[int]:
    """Indices of the non-dominated points, in input order."""
    return [i for i, rank in enumerate(non_dominated_sort(points, directions)) if rank == 0]


def hypervolume(points: Sequence[Point], directions: Sequence[str], reference: Point) -> float:
    """The volume dominated by ``points`` and bounded by ``reference`` (worse than every point
    that counts; points not strictly better than it in every objective add nothing)."""
    costs = _as_minimization(points, directions)
    ref = _as_minimization([reference], directions)[0]
    inside = [p for p in costs if all(x < r for x, r in zip(p, ref))]
    return _slice_volume(inside, ref)


def _slice_volume(points: list[tuple[float, ...]], ref: tuple[float, ...]) -> float:
    # Hypervolume by slicing objectives: sweep the last objective, recurse on the others.
    if not points:
        return 0.0
    if len(ref) == 1:
        return ref[0] - min(p[0] for p in points)
    ordered = sorted(points, key=lambda p: p[-1])
    volume = 0.0
    for i, point in enumerate(ordered):
        upper = ordered[i + 1][-1] if i + 1 < len(ordered) else ref[-1]
        if upper > point[-1]:
            below = [p[:-1] for p in ordered[: i + 1]]
            front = [p for p in below if not any(dominates(q, p) for q in below)]
            volume += (upper - point[-1]) * _slice_volume(front, ref[:-1])
    return volume
