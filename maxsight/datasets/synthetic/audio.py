"""Synthetic per-image stereo audio features tied to what is in the scene.

Each sounding object adds a source to a 0.5 s, 16 kHz stereo waveform with amplitude
1 / distance: cars an engine (harmonics of 30-60 Hz, amplitude-modulated), bicycles a bell
(2.5 and 3.7 kHz, decaying) or chain ticks, dogs barks (band noise around 800 Hz in
bursts), people footsteps (decaying clicks every 0.25 s); the rest are silent. A source at
azimuth theta = atan2(x_m, distance) (positive to the right) reaches the ears with the
constant-power sine-law gains ``sqrt((1 -+ sin theta) / 2)`` (left, right), so its
interaural level difference says where it is, in view or not. Ambient noise, independent
per ear, is always there. Features are log-mel energies [2, N_MELS, frames] (left, right;
25 ms Hann windows, 10 ms hop).
"""
from typing import Dict, List, Tuple

import numpy as np

SAMPLE_RATE = 16000
DURATION_S = 0.5
N_FFT, WIN, HOP = 512, 400, 160
N_MELS = 32
#: The classes that make a sound (the rest are silent).
SOUNDING_CLASSES = ('car', 'bicycle', 'dog', 'person')


def _hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10 ** (np.asarray(m) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, sr: int = SAMPLE_RATE,
                   fmin: float = 20.0, fmax: float = 8000.0) -> np.ndarray:
    """Triangular mel filters [n_mels, n_fft // 2 + 1] (HTK mel scale)."""
    mels = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    bins = np.fft.rfftfreq(n_fft, 1.0 / sr)
    hz = _mel_to_hz(mels)
    fb = np.zeros((n_mels, len(bins)), np.float32)
    for m in range(n_mels):
        lo, mid, hi = hz[m], hz[m + 1], hz[m + 2]
        up = (bins - lo) / max(mid - lo, 1e-6)
        down = (hi - bins) / max(hi - mid, 1e-6)
        fb[m] = np.clip(np.minimum(up, down), 0, None)
    return fb


_FILTERBANK = mel_filterbank()


def log_mel(wave: np.ndarray) -> np.ndarray:
    """Log-mel energies [N_MELS, frames] of a mono waveform at SAMPLE_RATE."""
    window = np.hanning(WIN).astype(np.float32)
    frames = 1 + (len(wave) - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(frames)[:, None]
    spec = np.abs(np.fft.rfft(wave[idx] * window, n=N_FFT, axis=1)) ** 2  # [frames, bins]
    return np.log(_FILTERBANK @ spec.T + 1e-6).astype(np.float32)


def ear_gains(x_m: float, distance_m: float) -> Tuple[float, float]:
    """(left, right) amplitude gains of a source ``x_m`` metres right of the optical axis at
    depth ``distance_m``: the sine law, ``gl**2 + gr**2 == 1``."""
    s = float(np.sin(np.arctan2(x_m, max(distance_m, 1e-6))))
    return float(np.sqrt((1 - s) / 2)), float(np.sqrt((1 + s) / 2))


def scene_waveform(objects: List[Dict], rng: np.random.Generator) -> np.ndarray:
    """Stereo waveform [2, samples] (left, right) of the scene's sound sources (see module
    docstring); objects without ``x_m`` are on the optical axis."""
    t = np.arange(int(SAMPLE_RATE * DURATION_S)) / SAMPLE_RATE
    ears = rng.normal(0, 0.003, size=(2,) + t.shape)
    for obj in objects:
        wave = np.zeros_like(t)
        amp = 1.0 / max(obj['distance'], 1.0)
        name = obj['cls'].name
        if name == 'car':
            f0 = rng.uniform(30, 60)
            engine = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) / k
                         for k in range(1, 9))
            wave += amp * 0.3 * engine * (1 + 0.3 * np.sin(2 * np.pi * 8 * t))
        elif name == 'bicycle':
            if rng.random() < 0.5:
                onset = rng.uniform(0, 0.2)
                env = np.where(t >= onset, np.exp(-6 * (t - onset)), 0.0)
                wave += amp * 0.4 * env * (np.sin(2 * np.pi * 2500 * t)
                                           + 0.5 * np.sin(2 * np.pi * 3700 * t))
            else:
                ticks = (np.sin(2 * np.pi * 12 * t) > 0.95).astype(float)
                wave += amp * 0.2 * ticks * rng.normal(0, 1, size=t.shape)
        elif name == 'dog':
            start = rng.uniform(0, 0.3)
            gate = ((t > start) & (t < start + 0.12)).astype(float)
            carrier = np.sin(2 * np.pi * rng.uniform(600, 1000) * t)
            wave += amp * 0.5 * gate * carrier * (1 + 0.5 * rng.normal(0, 1, size=t.shape))
        elif name == 'person':
            phase = rng.uniform(0, 0.25)
            since = (t - phase) % 0.25
            wave += amp * 0.3 * np.exp(-since * 60) * rng.normal(0, 1, size=t.shape)
        gains = ear_gains(obj.get('x_m', 0.0), obj['distance'])
        ears += np.asarray(gains)[:, None] * wave
    return ears.astype(np.float32)


def audio_features(objects: List[Dict], rng: np.random.Generator) -> np.ndarray:
    """Log-mel features [2, N_MELS, frames] (left, right) of the sounds the scene's
    objects make."""
    return np.stack([log_mel(ear) for ear in scene_waveform(objects, rng)])
