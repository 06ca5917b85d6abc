from .draw import URGENCY_COLORS, draw_objects

__all__ = ['URGENCY_COLORS', 'draw_objects']
