"""MaxSight registries: children of mmengine's root registries under the scope ``maxsight``.

Every registry names the package folders that hold its components (``locations=``), so
building a config imports exactly what it needs. Configs set ``default_scope = 'maxsight'``.
Asking for an unknown ``type`` raises a ``KeyError`` that names the registry and the
closest registered names instead of mmengine's bare message.
"""
import difflib
from typing import List, Optional, Type

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry


class SuggestingRegistry(Registry):
    """A :class:`mmengine.registry.Registry` whose failed lookups suggest close names."""

    def known_names(self) -> List[str]:
        """All names reachable from this registry: its own and its ancestors'."""
        names, node = set(), self
        while node is not None:
            names.update(node.module_dict.keys())
            node = node.parent
        return sorted(names)

    def get(self, key: str) -> Optional[Type]:
        obj = super().get(key)
        if obj is None and isinstance(key, str):
            _, real_key = self.split_scope_key(key)
            close = difflib.get_close_matches(real_key, self.known_names(), n=3, cutoff=0.5)
            hint = f' Did you mean: {", ".join(close)}?' if close else ''
            raise KeyError(
                f"'{key}' is not registered in the '{self.name}' registry (scope "
                f"'{self.scope}').{hint} Register it with @{self.name.upper()}."
                "register_module() and make sure its module is imported "
                "(e.g. via custom_imports in the config).")
        return obj


def _child(name: str, parent: Registry, locations: List[str]) -> SuggestingRegistry:
    return SuggestingRegistry(name, parent=parent, scope='maxsight', locations=locations)


MODELS = _child('model', MMENGINE_MODELS, ['maxsight.models'])
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, ['maxsight.models'])
DATASETS = _child('dataset', MMENGINE_DATASETS, ['maxsight.datasets'])
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, ['maxsight.datasets.transforms'])
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, ['maxsight.datasets'])
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, ['maxsight.datasets'])
METRICS = _child('metric', MMENGINE_METRICS, ['maxsight.evaluation'])
HOOKS = _child('hook', MMENGINE_HOOKS, ['maxsight.engine'])
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, ['maxsight.engine'])
LOOPS = _child('loop', MMENGINE_LOOPS, ['maxsight.engine'])
RUNNERS = _child('runner', MMENGINE_RUNNERS, ['maxsight.engine'])
OPTIM_WRAPPERS = _child('optim wrapper', MMENGINE_OPTIM_WRAPPERS, ['maxsight.engine'])
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS, ['maxsight.engine'])
# children for every other root the configs reach, so a build under the maxsight scope
# finds its scope (mmengine warns "Failed to search registry with scope" otherwise)
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS, ['maxsight.engine'])
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, ['maxsight.visualization'])
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, ['maxsight.visualization'])
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, ['maxsight.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_CONSTRUCTORS, ['maxsight.engine'])
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, ['maxsight.evaluation'])
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS,
                             ['maxsight.models'])
