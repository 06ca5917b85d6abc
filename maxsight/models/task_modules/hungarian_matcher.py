"""Hungarian matching between dense predictions and ground-truth boxes: one-to-one, or
one-to-k (each ground truth repeated k times, as in H-DETR's hybrid matching).

Cost (as in DETR / Deformable DETR, per prediction i and ground truth j):

    C[i, j] = w_class * focal_cost(p_i[label_j]) + w_bbox * |b_i - g_j|_1 (normalised xyxy)
              - w_giou * GIoU(b_i, g_j) + w_outside * [point_i outside g_j]

and the assignment minimising the total cost is found by scipy's
``linear_sum_assignment``, on the rows that can take part in an optimal assignment: with
T columns in all, each ground truth's T cheapest predictions (:func:`candidate_rows`). The
assignment problem costs O(T^2 N) for N rows, and at 640 px N is 8,400 while the
candidates are a few hundred for a few objects
(docs/benchmarks.md#how-cost-grows-with-the-work). The optional ``w_outside`` term is a
spatial prior: it keeps early, random predictions from being matched to objects far from
their location.

With ``num_matches_per_gt = k > 1`` the cost matrix is tiled k times along the ground-truth
axis, so each object gets up to k distinct predictions (the k cheapest jointly): k times
as many positives per step, which speeds up early training (Jia et al., "DETRs with
Hybrid Matching", CVPR 2023); the duplicates it teaches must then be removed by NMS at test
time (``test_cfg.nms_iou_thr``).
"""
from typing import Optional, Tuple

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor
from torchvision.ops import generalized_box_iou

from ...registry import TASK_UTILS


def optimal_assignment(cost: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Minimum-cost one-to-one assignment of rows (predictions) to columns (ground truth).

    ``cost`` is [N, M]; returns (row_idx, col_idx), each of length min(N, M), sorted by
    row. With M == 0 or N == 0 both are empty.
    """
    if cost.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows, cols = linear_sum_assignment(cost)
    return rows.astype(np.int64), cols.astype(np.int64)


def candidate_rows(cost: Tensor, num_columns: int) -> Optional[Tensor]:
    """Sorted rows of ``cost`` [N, M] among the ``num_columns`` cheapest of some column, or
    None when that is every row.

    Exact: in an assignment of ``num_columns`` columns, a column j matched to a row outside
    its ``num_columns`` cheapest has one of those free (the other columns take at most
    ``num_columns - 1`` rows) and no dearer; moving it there never raises the total, so an
    optimal assignment exists within the candidates. Tiled copies of a column share its
    candidates, so ``cost`` is the untiled matrix."""
    n = cost.shape[0]
    if num_columns * cost.shape[1] >= n:
        return None
    top = cost.topk(num_columns, dim=0, largest=False).indices  # [num_columns, M]
    rows = torch.unique(top)
    return rows if rows.numel() < n else None


@TASK_UTILS.register_module()
class HungarianMatcher:
    """Match dense predictions to ground truth one-to-one.

    Args:
        cost_class: weight of the focal classification cost.
        cost_bbox: weight of the L1 cost between boxes normalised by image size (xyxy).
        cost_giou: weight of the negative generalised IoU.
        cost_outside: added when a prediction's anchor point lies outside the gt box
            (0 disables the spatial prior).
        focal_alpha, focal_gamma: focal cost parameters (Lin et al. 2017).
        num_matches_per_gt: k, predictions matched to each ground truth (1: one-to-one).
    """

    def __init__(self, cost_class: float = 2.0, cost_bbox: float = 5.0, cost_giou: float = 2.0,
                 cost_outside: float = 0.0, focal_alpha: float = 0.25,
                 focal_gamma: float = 2.0, num_matches_per_gt: int = 1):
        if cost_class == 0 and cost_bbox == 0 and cost_giou == 0:
            raise ValueError('HungarianMatcher: all costs are 0')
        if int(num_matches_per_gt) != num_matches_per_gt or num_matches_per_gt < 1:
            raise ValueError('HungarianMatcher: num_matches_per_gt must be an integer >= 1, '
                             f'got {num_matches_per_gt!r}')
        self.num_matches_per_gt = int(num_matches_per_gt)
        self.cost_class, self.cost_bbox, self.cost_giou = cost_class, cost_bbox, cost_giou
        self.cost_outside = cost_outside
        self.alpha, self.gamma = focal_alpha, focal_gamma

    @torch.no_grad()
    def cost_matrix(self, cls_logits: Tensor, boxes: Tensor, gt_labels: Tensor,
                    gt_boxes: Tensor, img_hw: Tuple[int, int],
                    points: Optional[Tensor] = None) -> Tensor:
        """[N, M] matching cost. ``cls_logits`` [N, C]; ``boxes`` [N, 4] and ``gt_boxes``
        [M, 4] xyxy pixels; ``gt_labels`` [M]; ``points`` [N, 2] (x, y) pixels."""
        prob = cls_logits.float().sigmoid()[:, gt_labels]  # [N, M]
        neg = (1 - self.alpha) * prob.pow(self.gamma) * -(1 - prob + 1e-8).log()
        pos = self.alpha * (1 - prob).pow(self.gamma) * -(prob + 1e-8).log()
        h, w = img_hw
        norm = boxes.new_tensor([w, h, w, h])
        cost = (self.cost_class * (pos - neg)
                + self.cost_bbox * torch.cdist(boxes.float() / norm, gt_boxes.float() / norm, p=1)
                - self.cost_giou * generalized_box_iou(boxes.float(), gt_boxes.float()))
        if self.cost_outside and points is not None:
            x, y = points[:, 0:1], points[:, 1:2]
            inside = ((x >= gt_boxes[:, 0]) & (x <= gt_boxes[:, 2]) &
                      (y >= gt_boxes[:, 1]) & (y <= gt_boxes[:, 3]))
            cost = cost + self.cost_outside * (~inside).float()
        return cost

    def match(self, cls_logits: Tensor, boxes: Tensor, gt_labels: Tensor, gt_boxes: Tensor,
              img_hw: Tuple[int, int], points: Optional[Tensor] = None,
              matches_per_gt: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Returns (pred_idx, gt_idx) LongTensors of length min(N, sum of k_j) on
        ``boxes.device``; a prediction appears at most once, ground truth j up to k_j times.

        ``matches_per_gt`` [M] (integers >= 1) sets k_j per ground truth; None: every k_j is
        ``num_matches_per_gt``.
        """
        device = boxes.device
        if gt_boxes.numel() == 0 or boxes.numel() == 0:
            empty = torch.zeros(0, dtype=torch.long, device=device)
            return empty, empty
        cost = self.cost_matrix(cls_logits, boxes, gt_labels, gt_boxes, img_hw, points)
        num_gt = cost.shape[1]
        if matches_per_gt is None:
            repeats = np.full(num_gt, self.num_matches_per_gt, np.int64)
        else:
            repeats = matches_per_gt.cpu().numpy().astype(np.int64).reshape(-1)
            if repeats.shape != (num_gt,) or (repeats < 1).any():
                raise ValueError(f'HungarianMatcher.match: matches_per_gt must hold one integer '
                                 f'>= 1 per ground truth ({num_gt}), got {repeats.tolist()}')
        cand = candidate_rows(cost, int(repeats.sum()))
        cost = (cost if cand is None else cost[cand]).cpu().numpy()
        # column j of the tiled matrix is a copy of ground truth gt_of_col[j]
        gt_of_col = np.repeat(np.arange(num_gt), repeats) if (repeats > 1).any() else None
        if gt_of_col is not None:
            cost = cost[:, gt_of_col]
        rows, cols = optimal_assignment(cost)
        if gt_of_col is not None:
            cols = gt_of_col[cols]
        rows = torch.as_tensor(rows)
        if cand is not None:
            rows = cand.cpu()[rows]  # cand is sorted: rows stay in increasing order
        return rows.to(device), torch.as_tensor(cols, device=device)
