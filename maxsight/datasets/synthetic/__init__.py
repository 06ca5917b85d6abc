from .generator import CLASSES, categories, generate_image, generate_split, generate_synthetic_dataset

__all__ = ['CLASSES', 'categories', 'generate_image', 'generate_split',
           'generate_synthetic_dataset']
