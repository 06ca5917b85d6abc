"""Loading transforms: image from file (as RGB) and annotations into arrays."""
from typing import Any, Dict, List

import numpy as np
from PIL import Image

from ...registry import TRANSFORMS
from ..labels import lighting_from_pixels


class ImageLoadError(OSError):
    """An image that exists but cannot be decoded (truncated, corrupt, wrong size)."""


def read_rgb(path: str) -> np.ndarray:
    """Read any image PIL understands as RGB uint8 [H, W, 3] (greyscale, palette and RGBA
    are converted; RGBA is composited as if on black, i.e. alpha is dropped)."""
    try:
        with Image.open(path) as im:
            im.load()
            return np.asarray(im.convert('RGB'))
    except FileNotFoundError:
        raise FileNotFoundError(f'image file not found: {path}') from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageLoadError(f'{path}: cannot decode image ({e})') from None


@TRANSFORMS.register_module()
class LoadImageFromFile:
    """Load ``results['img_path']`` into ``results['img']`` (RGB uint8 [H, W, 3]).

    Sets ``ori_shape``/``img_shape`` (h, w) and fills ``lighting`` from pixel statistics
    when the annotation has none (flagged ``lighting_derived``). The decoded size must match
    the annotation's ``width``/``height``.

    ``cache_mb`` > 0 keeps decoded images (and their derived lighting) in memory, keyed by
    path, until they take ``cache_mb`` MiB; later images are decoded every time. Decoding is
    most of the loading time of small images (2.8 of 3.75 ms per embedded image), and
    with ``num_workers=0`` the cache lives for the whole run. Loaded images are read-only
    (cached or not), so a transform that writes into its input fails loudly instead of
    corrupting the cache; each data-loader worker process holds its own cache.
    """

    def __init__(self, cache_mb: float = 0.0):
        if not cache_mb >= 0:
            raise ValueError(f'LoadImageFromFile: cache_mb must be >= 0 MiB, got {cache_mb!r}')
        self.cache_mb = float(cache_mb)
        self._cache: Dict[str, List] = {}
        self._cached_bytes = 0

    def _decode(self, path: str) -> List:
        """[image, derived lighting or None], from the cache when there."""
        hit = self._cache.get(path)
        if hit is not None:
            return hit
        img = read_rgb(path)
        entry = [img, None]
        if self._cached_bytes + img.nbytes <= self.cache_mb * 2 ** 20:
            img.setflags(write=False)
            self._cache[path] = entry
            self._cached_bytes += img.nbytes
        return entry

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        entry = self._decode(results['img_path'])
        img = entry[0]
        h, w = img.shape[:2]
        expected = (results.get('height'), results.get('width'))
        if expected[0] is not None and (h, w) != expected:
            raise ImageLoadError(
                f'{results["img_path"]}: images[id={results.get("img_id")}]: field '
                f'"width"/"height": annotation says {expected[1]}x{expected[0]}, '
                f'file is {w}x{h}')
        results['img'] = img
        results['ori_shape'] = results['img_shape'] = (h, w)
        if results.get('lighting') is None:
            if entry[1] is None:
                entry[1] = lighting_from_pixels(img)
            results['lighting'] = entry[1]
            results['lighting_derived'] = True
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(cache_mb={self.cache_mb})'


#: per-instance fields copied from data infos into arrays, with their dtype
INSTANCE_FIELDS = (('distance_m', np.float32), ('distance_zone', np.int64),
                   ('urgency', np.int64), ('distance_derived', bool),
                   ('zone_derived', bool), ('urgency_derived', bool),
                   # clips: m/s towards the camera; NaN where the file does not say
                   ('approach_m_s', np.float32),
                   # the urgency depends on something elsewhere in the image (signal set)
                   ('urgency_context', bool))
#: the value of a field an instance does not carry
INSTANCE_DEFAULTS = dict(approach_m_s=np.nan, urgency_context=False)


@TRANSFORMS.register_module()
class LoadAnnotations:
    """Turn ``results['instances']`` into arrays: ``gt_bboxes`` [N, 4] float32 xyxy pixels,
    ``gt_labels`` [N] int64, ``gt_ignore_flags`` [N] bool, and ``gt_<field>`` for
    distance_m, distance_zone, urgency, the derived flags, approach_m_s (NaN when
    unknown) and urgency_context (False when unknown)."""

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        insts = results.get('instances', [])
        results['gt_bboxes'] = np.array([i['bbox'] for i in insts],
                                        np.float32).reshape(-1, 4)
        results['gt_labels'] = np.array([i['bbox_label'] for i in insts], np.int64)
        results['gt_ignore_flags'] = np.array([i['ignore_flag'] for i in insts], bool)
        for key, dtype in INSTANCE_FIELDS:
            results[f'gt_{key}'] = np.array([i.get(key, INSTANCE_DEFAULTS[key])
                                              if key in INSTANCE_DEFAULTS else i[key]
                                              for i in insts], dtype)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'


def as_stereo(feats: np.ndarray, where: str) -> np.ndarray:
    """Audio features as float32 [2, F, T] (left, right): a stereo array as it is, a mono
    [F, T] one on both ears (no direction). ``where`` names the input in the error."""
    feats = np.asarray(feats)
    if feats.ndim == 2:
        feats = np.stack([feats, feats])
    if feats.ndim != 3 or feats.shape[0] != 2 or not np.isfinite(feats).all():
        raise ImageLoadError(f'{where}: audio features must be a finite array [2, F, T] '
                             f'(left, right log-mel) or [F, T] (mono), got shape '
                             f'{list(feats.shape)}')
    return feats.astype(np.float32)


@TRANSFORMS.register_module()
class LoadAudioFeatures:
    """Load the image's audio features (``audio_path``, a ``.npy`` array [2, F, T] stereo
    or [F, T] mono) into ``results['audio']`` as float32 [2, F, T] (:func:`as_stereo`);
    images without audio get zeros of [2, *shape]. After a horizontal flip the ears are
    swapped, as :class:`RandomFlip` does when the audio is loaded first."""

    def __init__(self, shape=(32, 48)):
        self.shape = tuple(shape)

    def __call__(self, results: Dict[str, Any]) -> Dict[str, Any]:
        path = results.get('audio_path')
        if path is None:
            results['audio'] = np.zeros((2,) + self.shape, np.float32)
            return results
        try:
            feats = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise FileNotFoundError(f'audio file not found: {path} (images[id='
                                    f'{results.get("img_id")}] field "audio")') from None
        except ValueError as e:
            raise ImageLoadError(f'{path}: cannot read audio features ({e})') from None
        feats = as_stereo(feats, path)
        results['audio'] = np.ascontiguousarray(feats[::-1]) if results.get('flip') else feats
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(shape={self.shape})'
