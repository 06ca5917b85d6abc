"""T5's ClipMotionRefiner: slopes by hand, identity at start, and it learns time to contact."""
import math

import pytest
import torch
import torch.nn.functional as F

from maxsight.models.layers import ClipMotionRefiner, masked_slope


def test_masked_slope_by_hand():
    values = torch.tensor([[1.0, 3.0, 2.0, 100.0], [2.0, 2.5, 3.0, 3.5], [7.0, 0.0, 0.0, 0.0]])
    valid = torch.tensor([[True, True, True, False], [True] * 4, [True, False, False, False]])
    slope, resid = masked_slope(values[..., None], valid[..., None])
    # row 0: t = 0, 1, 2 -> mean t 1, mean value 2, slope ((-1)(-1) + 0 + (1)(0)) / 2 = 0.5,
    # fit 1.5, 2, 2.5; the padded frame is ignored and gets no residual
    assert slope.squeeze(-1).tolist() == [0.5, 0.5, 0.0]
    assert resid.squeeze(-1).tolist() == [[-0.5, 1.0, -0.5, 0.0], [0.0] * 4, [0.0] * 4]


def _preds(log_heights: torch.Tensor, num_classes: int = 3) -> dict:
    """Head-like predictions of B clips x T frames at N = 2 locations (x = 4, 12 px): box
    heights exp(``log_heights`` [B, T]) at both, log distance 1 / height, fixed logits."""
    b, t = log_heights.shape
    h = log_heights.reshape(b * t, 1).exp().expand(b * t, 2)
    box = torch.stack([torch.zeros_like(h), 50 - h / 2, torch.full_like(h, 8.0), 50 + h / 2], -1)
    gen = torch.Generator().manual_seed(0)
    return dict(box=box, log_dist=-log_heights.reshape(b * t, 1).expand(b * t, 2) + 3.0,
                urgency=torch.randn(b * t, 2, 4, generator=gen),
                cls=torch.randn(b * t, 2, num_classes, generator=gen),
                points=torch.tensor([[4.0, 4.0], [12.0, 4.0]]))


def test_features_and_identity_at_start():
    log_h = torch.tensor([[2.0, 2.1, 2.2, 2.3], [3.0, 3.0, 0.0, 0.0]])
    padding = torch.tensor([[False] * 4, [False, False, True, True]])
    refiner = ClipMotionRefiner(num_classes=3, slope_scale=10.0)
    preds = _preds(log_h)
    feats = refiner.motion_features(preds, padding)
    assert feats.shape == (8, 2, 11 + 3)
    # growing box: log height slope 0.1 per frame (x 10 = 1), log distance slope -0.1
    assert feats[:4, :, 0] == pytest.approx(torch.ones(4, 2), abs=1e-5)
    assert feats[:4, :, 2] == pytest.approx(-torch.ones(4, 2), abs=1e-5)
    assert feats[4:, :, 0].abs().max() < 1e-5  # the still object
    # the share of the clip's frames each track is found in (clip 2: 2 of 4 are padding)
    assert feats[:, :, 4].tolist() == [[1.0, 1.0]] * 4 + [[0.5, 0.5]] * 2 + [[0.0, 0.0]] * 2
    assert feats[:, :, 6].tolist() == [[0.25, 0.75]] * 8  # x / W with W = 4 + 12
    assert torch.equal(feats[:, :, 7:11], preds['urgency'].softmax(-1))
    out = refiner(preds, padding)
    assert torch.equal(out['urgency'], preds['urgency'])
    assert torch.equal(out['log_dist'], preds['log_dist'])
    assert out['box'] is preds['box']


def test_tracks_follow_an_object_across_locations():
    """An object predicted at location 0 in frame 0 and at location 1 in frame 1 (it moved
    4 px and grew from 20 to 22 px); the other location sees a 2 px speck in another place
    each frame. The slope of both of the object's predictions is its own growth, not the
    change at one location."""
    obj0, obj1 = [0.0, 40.0, 20.0, 60.0], [4.0, 39.0, 24.0, 61.0]
    speck0, speck1 = [100.0, 0.0, 102.0, 2.0], [200.0, 0.0, 202.0, 2.0]
    preds = dict(box=torch.tensor([[obj0, speck0], [speck1, obj1]]),
                 log_dist=torch.zeros(2, 2), urgency=torch.zeros(2, 2, 4),
                 cls=torch.zeros(2, 2, 1), points=torch.tensor([[4.0, 4.0], [12.0, 4.0]]))
    refiner = ClipMotionRefiner(num_classes=1, slope_scale=1.0)
    log_h = torch.tensor([[20.0, 2.0], [2.0, 22.0]]).log()[None]
    (tracked,), found = refiner.track(preds['box'][None], torch.ones(1, 2, 2),
                                      torch.ones(1, 2, dtype=torch.bool), [log_h])
    # [clip, reference frame, frame, location]: each of the object's predictions finds
    # the other; a speck finds nothing in the other frame
    assert tracked[0, 0, :, 0].tolist() == tracked[0, 1, :, 1].tolist() == log_h[0, [0, 1], [0, 1]].tolist()
    assert found[0, 0, :, 0].all() and found[0, 1, :, 1].all()
    assert found[0, 0, :, 1].tolist() == [True, False] and found[0, 1, :, 0].tolist() == [False, True]
    feats = refiner.motion_features(preds, torch.zeros(1, 2, dtype=torch.bool))
    growth = math.log(22.0) - math.log(20.0)
    assert feats[0, 0, 0].item() == pytest.approx(growth)  # frame 0, location 0
    assert feats[1, 1, 0].item() == pytest.approx(growth)  # frame 1, location 1
    assert feats[0, 1, 0] == 0 and feats[0, 1, 4] == 0.5  # the speck's track has one frame


def test_learns_time_to_contact_that_one_frame_cannot_show():
    """Urgency labels set by the motion alone (a box growing 15 % a frame: danger; a still
    one: safe), the frames of both kinds drawn from overlapping sizes: the trained refiner
    calls every frame of held-out clips right."""
    torch.manual_seed(0)

    def clips(n: int):
        approaching = torch.rand(n) < 0.5
        rate = torch.where(approaching, torch.full((n,), 0.15), torch.zeros(n))
        log_h = 2.0 + torch.rand(n, 1) + rate[:, None] * torch.arange(4.0)
        labels = torch.where(approaching, 3, 0)[:, None, None].expand(n, 4, 2).reshape(-1)
        return _preds(log_h), labels

    refiner = ClipMotionRefiner(num_classes=3)
    opt = torch.optim.Adam(refiner.parameters(), lr=1e-2)
    padding = torch.zeros(64, 4, dtype=torch.bool)
    for _ in range(100):
        preds, labels = clips(64)
        loss = F.cross_entropy(refiner(preds, padding)['urgency'].reshape(-1, 4), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    preds, labels = clips(64)
    with torch.no_grad():
        called = refiner(preds, padding)['urgency'].reshape(-1, 4).argmax(-1)
    assert (called == labels).float().mean() == 1.0
    assert loss < 0.1 * math.log(4)


@pytest.mark.parametrize('kwargs, message', [(dict(candidates=0), 'candidates must be'),
                                             (dict(candidates=2.5), 'candidates must be'),
                                             (dict(iou_thr=0.0), 'iou_thr must be in')])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClipMotionRefiner(num_classes=3, **kwargs)


def test_the_refiner_does_not_bend_the_detector():
    """Its inputs are detached: the refined urgency passes gradient to the urgency logits
    (the residual add) and to none of the boxes, class logits or distances it reads."""
    preds = _preds(torch.tensor([[2.0, 2.1, 2.2, 2.3]]))
    for key in ('box', 'cls', 'log_dist', 'urgency'):
        preds[key] = preds[key].clone().requires_grad_(True)
    refiner = ClipMotionRefiner(num_classes=3)
    with torch.no_grad():
        refiner.mlp[-1].weight.normal_()
    out = refiner(preds, torch.zeros(1, 4, dtype=torch.bool))
    assert not torch.equal(out['urgency'], preds['urgency'])
    out['urgency'].sum().backward()
    assert torch.equal(preds['urgency'].grad, torch.ones_like(preds['urgency']))
    assert all(preds[k].grad is None for k in ('box', 'cls', 'log_dist'))


def test_fit_distance_puts_each_frame_on_its_track_line():
    """``fit_distance``: each frame's log distance becomes the value of the line fitted
    along its track (the untrained MLP adds nothing), with the gradient of the frame's own
    estimate. Clip 1: log distances 1.0, 1.3, 1.1, 1.4 -> slope 0.1, line 1.05, 1.15,
    1.25, 1.35. Clip 2: two real frames (a line through two points changes nothing) and
    clip 3 one (no line)."""
    log_h = torch.tensor([[2.0, 1.7, 1.9, 1.6], [2.0, 1.8, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0]])
    padding = torch.tensor([[False] * 4, [False, False, True, True], [False, True, True, True]])
    preds = _preds(log_h)
    preds['log_dist'] = preds['log_dist'].clone().requires_grad_(True)
    plain = ClipMotionRefiner(num_classes=3)(preds, padding)['log_dist']
    assert torch.equal(plain, preds['log_dist'])
    out = ClipMotionRefiner(num_classes=3, fit_distance=True)(preds, padding)['log_dist']
    expected = torch.tensor([1.05, 1.15, 1.25, 1.35, 1.0, 1.2, 3.0, 3.0, 1.0, 3.0, 3.0, 3.0])
    assert out[:, 0].detach() == pytest.approx(expected, abs=1e-5)
    assert torch.equal(out[:, 0], out[:, 1])
    out.sum().backward()
    assert torch.equal(preds['log_dist'].grad, torch.ones_like(preds['log_dist']))


def _fit_data(n: int, seed: int):
    """What the refit reads for ``n`` matched predictions (see ClipMotionRefiner.fit):
    features whose column 0 (the box-height slope) alone decides urgency (> 0: danger,
    else safe) and whose column 2 is the distance error, fixed base logits that call every
    one safe, base log distances off by that error."""
    gen = torch.Generator().manual_seed(seed)
    features = torch.randn(n, 11 + 3, generator=gen)
    urgency = torch.zeros(n, 4)
    urgency[:, 0] = 1.0
    gt_urgency = torch.where(features[:, 0] > 0, 3, 0)
    gt_log_dist = torch.rand(n, generator=gen) + 1.0
    return features, urgency, gt_log_dist + 0.2 * features[:, 2], gt_urgency, gt_log_dist


def test_the_fit_learns_what_the_features_carry_on_top_of_the_base_predictions():
    """The refit's objective is the head's (cross-entropy + L1 of the refined outputs): from
    its zero start (the base call: every one safe; error 0.2 |column 2|), fitted, it
    calls the danger the slope carries and removes most of the distance error; its figures
    are those of the refined outputs; the inputs are left as they were, no gradient is
    left behind, and the fit is deterministic."""
    from maxsight.models.losses import CrossEntropyLoss, L1Loss
    data = _fit_data(512, 0)
    kept = [t.clone() for t in data]
    losses = (CrossEntropyLoss(loss_weight=0.5), L1Loss(loss_weight=0.5))
    torch.manual_seed(0)
    refiner = ClipMotionRefiner(num_classes=3)
    out = refiner.fit(*data, *losses, steps=300, lr=1e-2)
    features, urgency, log_dist, gt_urgency, gt_log_dist = data
    assert out['acc_before'] == float((gt_urgency == 0).float().mean())
    assert out['mae_before'] == pytest.approx(
        float((log_dist.exp() - gt_log_dist.exp()).abs().mean()), rel=1e-6)
    with torch.no_grad():
        delta = refiner.mlp(features)
        called = (urgency + delta[:, :4]).argmax(1)
        mae = float(((log_dist + delta[:, 4]).exp() - gt_log_dist.exp()).abs().mean())
    assert out['acc_after'] == float((called == gt_urgency).float().mean()) >= 0.97
    assert out['mae_after'] == pytest.approx(mae, rel=1e-6) and mae < 0.3 * out['mae_before']
    assert all(torch.equal(a, b) for a, b in zip(data, kept))
    assert all(p.grad is None for p in refiner.parameters())
    torch.manual_seed(0)
    again = ClipMotionRefiner(num_classes=3)
    again.fit(*data, *losses, steps=300, lr=1e-2)
    for a, b in zip(refiner.parameters(), again.parameters()):
        assert torch.equal(a, b)


def test_a_fit_on_nothing_or_without_steps_is_refused():
    from maxsight.models.losses import CrossEntropyLoss, L1Loss
    losses = (CrossEntropyLoss(), L1Loss())
    empty = (torch.zeros(0, 14), torch.zeros(0, 4), torch.zeros(0),
             torch.zeros(0, dtype=torch.long), torch.zeros(0))
    with pytest.raises(ValueError, match='no matched predictions to fit on'):
        ClipMotionRefiner(num_classes=3).fit(*empty, *losses)
    with pytest.raises(ValueError, match='^ClipMotionRefiner.fit: steps must be a positive'):
        ClipMotionRefiner(num_classes=3).fit(*_fit_data(4, 0), *losses, steps=0)


def test_forward_is_the_base_predictions_plus_the_mlp_on_the_features():
    """What the refit fits (base + MLP(features)) is what forward predicts, fit_distance
    included."""
    log_h = torch.tensor([[2.0, 1.7, 1.9, 1.6], [2.0, 1.8, 0.0, 0.0]])
    padding = torch.tensor([[False] * 4, [False, False, True, True]])
    preds = _preds(log_h)
    refiner = ClipMotionRefiner(num_classes=3, fit_distance=True)
    with torch.no_grad():
        refiner.mlp[-1].weight.normal_(generator=torch.Generator().manual_seed(0))
        out = refiner(preds, padding)
        lines = refiner.track_lines(preds, padding)
        urgency, log_dist = refiner.base_predictions(preds, lines)
        delta = refiner.mlp(refiner.motion_features(preds, padding))
    assert not torch.equal(log_dist, preds['log_dist'])  # moved onto the track lines
    assert torch.allclose(out['urgency'], urgency + delta[..., :4], atol=1e-6)
    assert torch.allclose(out['log_dist'], log_dist + delta[..., 4], atol=1e-6)
    assert not torch.allclose(out['urgency'], urgency, atol=1e-3)
