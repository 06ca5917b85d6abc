"""Dataset over any COCO-format file with MaxSight's optional fields (DESIGN section 3)."""
from typing import Any, Dict, List

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..registry import DATASETS
from .coco_parsing import parse_coco_file


@DATASETS.register_module()
class AssistiveCocoDataset(BaseDataset):
    """COCO detection dataset whose class list is read from the annotation file.

    Args:
        skip_invalid: drop malformed images/annotations (counted and logged) instead of
            raising :class:`~maxsight.datasets.coco_parsing.AnnotationError`.
        filter_empty_gt: in training, drop images without any non-ignored object.
        Other arguments as :class:`mmengine.dataset.BaseDataset` (``data_root``,
        ``ann_file``, ``data_prefix=dict(img=...)``, ``pipeline``, ``test_mode``).

    ``metainfo`` gains ``classes`` (names, file order), ``cat_ids`` (the file's category id
    for each contiguous label) and ``hazard_priors``.
    """

    def __init__(self, *args, skip_invalid: bool = False, filter_empty_gt: bool = False,
                 **kwargs):
        self.skip_invalid = skip_invalid
        self.filter_empty_gt = filter_empty_gt
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[Dict[str, Any]]:
        parsed = parse_coco_file(self.ann_file, self.data_prefix.get('img', ''),
                                 self.skip_invalid)
        self._metainfo.update(classes=parsed.classes, cat_ids=parsed.cat_ids,
                              hazard_priors=parsed.hazard_priors)
        if parsed.skipped:
            print_log(f'{self.ann_file}: skipped {len(parsed.skipped)} invalid records '
                      f'(skip_invalid=True); first: {parsed.skipped[0]}', logger='current',
                      level=30)
        return parsed.data_list

    def filter_data(self) -> List[Dict[str, Any]]:
        if self.test_mode or not self.filter_empty_gt:
            return self.data_list
        return [info for info in self.data_list
                if any(not inst['ignore_flag'] for inst in info['instances'])]

    def get_cat_ids(self, idx: int) -> List[int]:
        """Contiguous labels of the objects in image ``idx`` (for class-aware samplers)."""
        return [inst['bbox_label'] for inst in self.get_data_info(idx)['instances']]
