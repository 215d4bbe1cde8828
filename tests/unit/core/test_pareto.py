"""Non-dominated sorting and hypervolume: hand-computed cases and properties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mobisweep.core.pareto import dominates, hypervolume, non_dominated_sort, pareto_front

MAX_MIN = ("maximize", "minimize")  # (top-1, mult-adds)


def test_hand_computed_front_and_ranks():
    points = [(0.70, 569), (0.68, 325), (0.65, 307), (0.64, 186), (0.60, 325), (0.50, 41)]
    assert pareto_front(points, MAX_MIN) == [0, 1, 2, 3, 5]
    assert non_dominated_sort(points, MAX_MIN) == [0, 0, 0, 0, 1, 0]


def test_hand_computed_hypervolume():
    # minimize both, reference (4, 4): points (1, 3), (2, 2), (3, 1) -> staircase area 3 + 2 + 1
    assert hypervolume([(1, 3), (2, 2), (3, 1)], ("minimize", "minimize"), (4, 4)) == 6.0
    # maximize top-1 from reference 0, minimize mult-adds up to 10
    assert hypervolume([(0.5, 2), (0.8, 6)], MAX_MIN, (0.0, 10)) == pytest.approx(
        0.5 * 8 + (0.8 - 0.5) * 4)
    assert hypervolume([(1, 1, 1)], ("minimize",) * 3, (2, 3, 4)) == 1 * 2 * 3
    assert hypervolume([(5, 5)], ("minimize", "minimize"), (4, 4)) == 0.0  # outside the box


def test_bad_directions_are_refused():
    with pytest.raises(ValueError, match="maximize or minimize"):
        pareto_front([(1, 2)], ("max", "min"))


coordinates = st.integers(min_value=0, max_value=6)


@st.composite
def point_sets(draw, dims: int):
    return draw(st.lists(st.tuples(*[coordinates] * dims), min_size=1, max_size=8))


def brute_force_volume(points, dims: int, ref: int = 7) -> int:
    """Count the unit cells of the box [0, ref)^dims dominated by some point (minimization)."""
    return sum(any(all(p[k] <= cell[k] for k in range(dims)) for p in points)
               for cell in itertools.product(range(ref), repeat=dims))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([2, 3]).flatmap(lambda d: st.tuples(st.just(d), point_sets(d))))
def test_hypervolume_matches_cell_counting(case):
    dims, points = case
    assert hypervolume(points, ("minimize",) * dims, (7,) * dims) == brute_force_volume(
        points, dims
    )


@settings(max_examples=150, deadline=None)
@given(point_sets(3))
def test_sorting_properties(points):
    directions = ("maximize", "minimize", "minimize")
    ranks = non_dominated_sort(points, directions)
    costs = [(-p[0], p[1], p[2]) for p in points]
    for i, j in itertools.permutations(range(len(points)), 2):
        if ranks[i] == ranks[j]:
            assert not dominates(costs[i], costs[j])
    for i, rank in enumerate(ranks):
        if rank > 0:
            assert any(ranks[j] == rank - 1 and dominates(costs[j], costs[i])
                       for j in range(len(points)))
    front = [points[i] for i in pareto_front(points, directions)]
    reference = (-1, 7, 7)
    assert hypervolume(front, directions, reference) == hypervolume(points, directions, reference)
