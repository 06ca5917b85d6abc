import math

import numpy as np
import pytest
import torch

from maxsight.models.layers import AudioDirectionMap


def _stereo(left_power, right_power, frames=3):
    """Log-mel [1, 2, F, frames] with constant per-band powers."""
    powers = torch.tensor([left_power, right_power], dtype=torch.float64).log()
    return powers[None, :, :, None].expand(1, 2, len(left_power), frames).float()


def test_direction_map_matches_the_hand_computation():
    mapper = AudioDirectionMap(n_mels=2, half_fov_deg=43.0, sigma=0.15, log_floor=-4.0)
    floor, k = math.exp(-4.0), math.exp(4.0)
    # band 0: a source with the sine-law powers of sin(azimuth) = 0.6; band 1: ambient only
    audio = _stereo([0.2 * k, floor / 2], [0.8 * k, floor / 2])
    width = 8
    out = mapper(audio, width)[0].double().detach()
    sine = (0.6 * k) / (k - floor)
    level = (k - floor) / floor
    u = (np.arange(width) + 0.5) / width * 2 - 1
    column = np.sin(np.arctan(u * math.tan(math.radians(43.0))))
    expected = np.log1p(level * np.exp(-(sine - column) ** 2 / (2 * 0.15 ** 2)))
    assert out[0].numpy() == pytest.approx(expected, rel=1e-4)
    assert out[1].abs().max() < 1e-6  # ambient alone is heard from nowhere
    assert int(out[0].argmax()) == int(np.abs(column - 0.6).argmin()) == 7


@torch.no_grad()
def test_a_source_beside_the_camera_is_heard_at_the_nearest_edge():
    mapper = AudioDirectionMap(n_mels=1)
    right_only = mapper(_stereo([1e-9], [50.0]), 16)[0, 0]
    left_only = mapper(_stereo([50.0], [1e-9]), 16)[0, 0]
    assert int(right_only.argmax()) == 15 and int(left_only.argmax()) == 0
    assert torch.allclose(right_only, left_only.flip(0))


@torch.no_grad()
def test_the_embedded_audio_points_at_the_car_that_makes_it():
    """A car rendered left or right of the axis: the column its engine is heard from (low
    mel bands of the generated stereo features) is within a tenth of the width of its box
    centre."""
    from maxsight.datasets.synthetic.audio import audio_features
    from maxsight.datasets.synthetic.generator import CLASSES, SceneRenderer
    car = next(c for c in CLASSES if c.name == 'car')
    renderer = SceneRenderer(np.random.default_rng(0), 320, 240)
    half_fov = math.degrees(math.atan(renderer.w / 2 / renderer.focal))
    mapper = AudioDirectionMap(n_mels=32, half_fov_deg=half_fov)
    for x_m in (-2.0, -0.8, 1.0, 2.5):
        obj = dict(cls=car, distance=6.0, x_m=x_m)
        x0, _, x1, _ = renderer.box_of(dict(obj, width_m=1.8))
        feats = torch.from_numpy(audio_features([obj], np.random.default_rng(1)))[None]
        heard = mapper(feats, 320)[0, :8].sum(0)
        assert abs(int(heard.argmax()) - (x0 + x1) / 2) < 32, x_m


def test_direction_map_refuses_mono_input():
    with pytest.raises(ValueError, match=r'expected stereo log-mel \[B, 2, F, T\]'):
        AudioDirectionMap(n_mels=4)(torch.zeros(1, 4, 10), 8)


def test_direction_map_refuses_a_view_of_0_or_90_degrees():
    """Half a field of view of 0 (no view) or 90 degrees (tan is infinite) has no column
    directions; the open interval's edges are refused, values just inside are built."""
    for bad in (0.0, 90.0, -5.0):
        with pytest.raises(ValueError, match=r'half_fov_deg must be in \(0, 90\)'):
            AudioDirectionMap(n_mels=4, half_fov_deg=bad)
    for good in (0.5, 89.5):
        AudioDirectionMap(n_mels=4, half_fov_deg=good)
