from .hungarian_matcher import HungarianMatcher, optimal_assignment

__all__ = ['HungarianMatcher', 'optimal_assignment']
