from .formatting import PackDetInputs
from .geometric import RandomChoiceResize, RandomFlip, Resize
from .lighting import LIGHTING_CORRUPTIONS, LightingCorruption, RandomLighting, corrupt
from .loading import (ImageLoadError, LoadAnnotations, LoadAudioFeatures, LoadImageFromFile,
                      read_rgb)
from .occlusion import RandomOcclusion
from .vision_conditions import (CONDITION_TRANSFORMS, VISION_CONDITIONS,
                                RandomVisionCondition, condition_index,
                                condition_transform_cfg)

__all__ = ['PackDetInputs', 'RandomChoiceResize', 'RandomFlip', 'Resize',
           'LIGHTING_CORRUPTIONS', 'LightingCorruption', 'RandomLighting', 'corrupt',
           'ImageLoadError', 'LoadAnnotations', 'LoadAudioFeatures', 'LoadImageFromFile',
           'read_rgb', 'RandomOcclusion', 'CONDITION_TRANSFORMS', 'VISION_CONDITIONS',
           'RandomVisionCondition', 'condition_index', 'condition_transform_cfg']
