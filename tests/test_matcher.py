import itertools

import numpy as np
import pytest
import torch
from torchvision.ops import generalized_box_iou

from maxsight.models.task_modules import HungarianMatcher, optimal_assignment


def brute_force_min_cost(cost: np.ndarray) -> float:
    n, m = cost.shape
    if n == 0 or m == 0:
        return 0.0
    if n >= m:  # choose an ordered set of m distinct rows for the m columns
        return min(sum(cost[r, c] for c, r in enumerate(rows))
                   for rows in itertools.permutations(range(n), m))
    return min(sum(cost[r, c] for r, c in enumerate(cols))
               for cols in itertools.permutations(range(m), n))


@pytest.mark.parametrize('n,m', [(0, 0), (3, 0), (0, 2), (1, 1), (5, 1), (4, 3), (6, 4),
                                 (2, 5), (3, 6), (5, 5)])
def test_optimal_assignment_matches_brute_force(n, m):
    rng = np.random.default_rng(n * 10 + m)
    for _ in range(5):
        cost = rng.uniform(-3, 5, size=(n, m))
        rows, cols = optimal_assignment(cost)
        assert len(rows) == len(cols) == min(n, m)
        assert len(set(rows)) == len(rows) and len(set(cols)) == len(cols)
        assert cost[rows, cols].sum() == pytest.approx(brute_force_min_cost(cost), abs=1e-9)


def test_cost_matrix_hand_computed():
    matcher = HungarianMatcher(cost_class=1.0, cost_bbox=1.0, cost_giou=1.0, cost_outside=0.0,
                               focal_alpha=0.25, focal_gamma=2.0)
    logits = torch.tensor([[0.0, 2.0]])
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    gt_boxes = torch.tensor([[0.0, 0.0, 10.0, 20.0]])
    cost = matcher.cost_matrix(logits, boxes, torch.tensor([1]), gt_boxes, (20, 10))
    p = torch.sigmoid(torch.tensor(2.0))
    focal = 0.25 * (1 - p) ** 2 * -torch.log(p) - 0.75 * p ** 2 * -torch.log(1 - p)
    l1 = 10 / 20  # only y1 differs by 10 px, normalised by image height 20
    giou = 0.5  # area 100 inside 200, enclosing box equals the union
    assert cost.item() == pytest.approx(float(focal) + l1 - giou, abs=1e-5)


def test_match_prefers_obvious_pairs_and_handles_more_gts_than_preds():
    matcher = HungarianMatcher(cost_class=0.0, cost_bbox=5.0, cost_giou=2.0)
    boxes = torch.tensor([[0., 0., 10., 10.], [50., 50., 60., 60.]])
    gts = torch.tensor([[49., 50., 60., 61.], [0., 1., 10., 10.], [20., 20., 30., 30.]])
    logits = torch.zeros(2, 3)
    p, g = matcher.match(logits, boxes, torch.tensor([0, 1, 2]), gts, (100, 100))
    assert sorted(zip(p.tolist(), g.tolist())) == [(0, 1), (1, 0)]
    p, g = matcher.match(logits, boxes, torch.zeros(0, dtype=torch.long), torch.zeros(0, 4),
                         (100, 100))
    assert p.numel() == 0 and g.numel() == 0


def test_outside_prior_adds_cost_only_outside():
    matcher = HungarianMatcher(cost_class=0.0, cost_bbox=0.0, cost_giou=1.0, cost_outside=7.0)
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 10.]])
    gts = torch.tensor([[0., 0., 10., 10.]])
    points = torch.tensor([[5., 5.], [50., 50.]])
    cost = matcher.cost_matrix(torch.zeros(2, 1), boxes, torch.tensor([0]), gts, (100, 100),
                               points)
    base = -generalized_box_iou(boxes, gts)
    assert torch.allclose(cost, base + torch.tensor([[0.0], [7.0]]))
