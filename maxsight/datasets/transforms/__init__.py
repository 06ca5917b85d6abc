from .formatting import PackDetInputs
from .geometric import RandomFlip, Resize
from .loading import ImageLoadError, LoadAnnotations, LoadImageFromFile, read_rgb

__all__ = ['PackDetInputs', 'RandomFlip', 'Resize', 'ImageLoadError', 'LoadAnnotations',
           'LoadImageFromFile', 'read_rgb']
