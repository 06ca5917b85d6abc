from .generator import CLASSES, categories, generate_frames, generate_split, generate_synthetic_dataset

__all__ = ['CLASSES', 'categories', 'generate_frames', 'generate_split',
           'generate_synthetic_dataset']
