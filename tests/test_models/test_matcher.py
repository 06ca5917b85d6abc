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


def brute_force_one_to_k(cost: np.ndarray, k) -> float:
    """Minimum total cost over all assignments giving each prediction at most one ground
    truth and ground truth j at most k_j predictions (``k`` an int or one per ground
    truth), with min(N, sum of k_j) pairs."""
    n, m = cost.shape
    ks = [k] * m if isinstance(k, int) else list(k)
    size = min(n, sum(ks))
    best = np.inf
    for choice in itertools.product(range(-1, m), repeat=n):  # -1: unmatched
        used = [c for c in choice if c >= 0]
        if len(used) != size or any(used.count(j) > ks[j] for j in range(m)):
            continue
        best = min(best, sum(cost[i, c] for i, c in enumerate(choice) if c >= 0))
    return float(best) if size else 0.0


@pytest.mark.parametrize('n,m,k', [(6, 2, 2), (5, 2, 3), (4, 3, 2), (3, 2, 2), (6, 1, 4),
                                   (2, 3, 2), (5, 0, 2), (0, 2, 3)])
def test_one_to_k_matching_matches_brute_force(n, m, k):
    """num_matches_per_gt=k: the assignment is the cheapest with <= k predictions per ground
    truth, and every prediction used at most once (also with more GTs than predictions)."""
    rng = np.random.default_rng(100 * n + 10 * m + k)
    matcher = HungarianMatcher(num_matches_per_gt=k)
    for _ in range(4):
        cost = rng.uniform(-3, 5, size=(n, m))
        matcher.cost_matrix = lambda *args, c=cost, **kw: torch.as_tensor(c)
        pred_idx, gt_idx = matcher.match(torch.zeros(n, 2), torch.zeros(n, 4),
                                         torch.zeros(m, dtype=torch.long), torch.zeros(m, 4),
                                         (10, 10))
        p, g = pred_idx.numpy(), gt_idx.numpy()
        assert len(p) == min(n, k * m) and len(set(p.tolist())) == len(p)
        assert all((g == j).sum() <= k for j in range(m))
        assert cost[p, g].sum() == pytest.approx(brute_force_one_to_k(cost, k), abs=1e-9)


@pytest.mark.parametrize('n,ks', [(6, (1, 3)), (5, (2, 1, 2)), (3, (3, 1)), (4, (1, 1))])
def test_matches_per_gt_gives_each_ground_truth_its_own_k(n, ks):
    """matches_per_gt=[k_j]: the cheapest assignment with <= k_j predictions for ground truth
    j (the head gives hazards more), whatever the matcher's own num_matches_per_gt."""
    rng = np.random.default_rng(7 * n + sum(ks))
    matcher = HungarianMatcher(num_matches_per_gt=2)
    m = len(ks)
    for _ in range(4):
        cost = rng.uniform(-3, 5, size=(n, m))
        matcher.cost_matrix = lambda *args, c=cost, **kw: torch.as_tensor(c)
        pred_idx, gt_idx = matcher.match(torch.zeros(n, 2), torch.zeros(n, 4),
                                         torch.zeros(m, dtype=torch.long), torch.zeros(m, 4),
                                         (10, 10), matches_per_gt=torch.tensor(ks))
        p, g = pred_idx.numpy(), gt_idx.numpy()
        assert len(p) == min(n, sum(ks)) and len(set(p.tolist())) == len(p)
        assert all((g == j).sum() <= ks[j] for j in range(m))
        assert cost[p, g].sum() == pytest.approx(brute_force_one_to_k(cost, ks), abs=1e-9)
    with pytest.raises(ValueError, match='one integer >= 1 per ground truth'):
        matcher.match(torch.zeros(n, 2), torch.zeros(n, 4), torch.zeros(m, dtype=torch.long),
                      torch.zeros(m, 4), (10, 10), matches_per_gt=torch.zeros(m))


def test_one_to_k_requires_valid_k_and_nms_in_the_head():
    with pytest.raises(ValueError, match='num_matches_per_gt'):
        HungarianMatcher(num_matches_per_gt=0)
    from maxsight.models.heads.multitask_dense_head import MultiTaskDenseHead
    with pytest.raises(ValueError, match='nms_iou_thr'):
        MultiTaskDenseHead(num_classes=3, matcher=dict(type='HungarianMatcher',
                                                       num_matches_per_gt=2),
                           test_cfg=dict(nms_iou_thr=None))
    head = MultiTaskDenseHead(num_classes=3, matcher=dict(type='HungarianMatcher',
                                                          num_matches_per_gt=2),
                              test_cfg=dict(nms_iou_thr=0.6))
    assert head.matcher.num_matches_per_gt == 2


@pytest.mark.parametrize('seed', range(6))
def test_candidate_preselection_keeps_the_optimal_total_cost(seed):
    """The assignment found on the candidate rows costs exactly what the assignment over
    every row costs (brute force is out of reach at 600 rows: scipy on the full tiled
    matrix is the reference), with ties made likely by rounding the costs."""
    from maxsight.models.task_modules.hungarian_matcher import (candidate_rows,
                                                                 optimal_assignment)
    g = torch.Generator().manual_seed(seed)
    n, m = 600, 1 + seed % 5
    k = 1 + seed % 4
    matcher = HungarianMatcher(cost_outside=1.0, num_matches_per_gt=k)
    pts = torch.rand(n, 2, generator=g) * 200
    boxes = torch.cat([pts - 8, pts + 8], 1)
    xy = torch.rand(m, 2, generator=g) * 150
    gt = torch.cat([xy, xy + 10 + torch.rand(m, 2, generator=g) * 40], 1)
    labels = torch.randint(0, 3, (m,), generator=g)
    logits = (torch.randn(n, 3, generator=g) * 4).round() / 4
    rows, cols = matcher.match(logits, boxes, labels, gt, (200, 200), pts)
    cost = matcher.cost_matrix(logits, boxes, labels, gt, (200, 200), pts)
    cand = candidate_rows(cost, k * m)
    assert cand is not None and cand.numel() <= k * m * m
    assert torch.equal(cand, torch.sort(cand).values)
    full = cost.numpy()[:, np.repeat(np.arange(m), k)]
    ref_rows, ref_cols = optimal_assignment(full)
    assert len(rows) == k * m and torch.equal(rows, torch.sort(rows).values)
    assert np.bincount(cols.numpy(), minlength=m).tolist() == [k] * m
    assert cost[rows, cols].double().sum().item() == pytest.approx(
        float(full[ref_rows, ref_cols].astype(np.float64).sum()), abs=1e-4)


def test_candidate_rows_are_every_columns_cheapest_or_none_when_that_is_all():
    from maxsight.models.task_modules.hungarian_matcher import candidate_rows
    cost = torch.tensor([[5., 0.], [1., 9.], [0., 8.], [7., 1.], [6., 7.], [9., 9.]])
    assert candidate_rows(cost, 2).tolist() == [0, 1, 2, 3]  # cheapest two of each column
    assert candidate_rows(cost, 1).tolist() == [0, 2]
    assert candidate_rows(cost, 3) is None  # 3 x 2 columns >= 6 rows: nothing to gain
    assert candidate_rows(torch.tensor([[0., 0.], [1., 2.], [2., 1.], [3., 3.], [4., 4.]]),
                          1).tolist() == [0]  # a row cheapest for both columns counts once


def test_matcher_defaults_and_argument_checks():
    m = HungarianMatcher()
    assert (m.cost_class, m.cost_bbox, m.cost_giou, m.cost_outside, m.alpha, m.gamma,
            m.num_matches_per_gt) == (2.0, 5.0, 2.0, 0.0, 0.25, 2.0, 1)
    with pytest.raises(ValueError, match='^HungarianMatcher: all costs are 0$'):
        HungarianMatcher(cost_class=0, cost_bbox=0, cost_giou=0)
    for one_left in (dict(cost_class=0, cost_bbox=0), dict(cost_class=0, cost_giou=0),
                     dict(cost_bbox=0, cost_giou=0), dict(cost_class=1, cost_bbox=0,
                                                          cost_giou=0),
                     dict(cost_class=0, cost_bbox=1, cost_giou=0)):
        HungarianMatcher(**one_left)  # any one non-zero cost is enough
    for bad in (0, 1.5, -2):
        with pytest.raises(ValueError, match=r'^HungarianMatcher: num_matches_per_gt must be '
                                             r'an integer >= 1, got '):
            HungarianMatcher(num_matches_per_gt=bad)
