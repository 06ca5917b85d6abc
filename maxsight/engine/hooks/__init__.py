from .show_predictions_hook import ShowPredictionsHook

__all__ = ['ShowPredictionsHook']
