from .draw import URGENCY_COLORS, draw_objects
from .render import DEFAULT_DISPLAY_THR, DISPLAY_NMS_IOU, Objects, render_scene, shown_indices
from .visualizer import MaxSightVisualizer, render_data_sample

__all__ = ['URGENCY_COLORS', 'draw_objects', 'DEFAULT_DISPLAY_THR', 'DISPLAY_NMS_IOU',
           'Objects', 'render_scene', 'shown_indices', 'MaxSightVisualizer',
           'render_data_sample']
