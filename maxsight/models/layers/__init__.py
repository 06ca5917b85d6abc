from .positional_encoding import sine_positional_encoding

__all__ = ['sine_positional_encoding']
