"""What the urgency rule (:mod:`maxsight.datasets.labels`) reads off an annotation besides
its distance: its class's ``hazard_prior`` and its box's horizontal centre. The analyses
that recompute the rule from a file's annotations (the single-frame ceiling of clip urgency,
the signal-blind ceiling) read them here."""
from typing import Iterable, Iterator, Tuple

from ..datasets.coco_parsing import AnnotationError, parse_categories


def with_rule_inputs(data: dict, ann_file: str, annotations: Iterable[dict]
                     ) -> Iterator[Tuple[dict, float, float]]:
    """Each of ``annotations`` (records of ``data``, the parsed ``ann_file``) as
    ``(annotation, prior, cx)``: its class's hazard prior and its box's horizontal centre
    as a fraction of its image's width (xywh pixels in, 0-1 out). A class without a
    ``hazard_prior`` is refused."""
    _, ids, priors, _ = parse_categories(data, ann_file)
    prior_of = dict(zip(ids, priors))
    width = {img['id']: img['width'] for img in data['images']}
    for a in annotations:
        if prior_of.get(a['category_id']) is None:
            raise AnnotationError(f'{ann_file}: category {a["category_id"]}: field '
                                  '"hazard_prior" missing; the urgency rule needs it')
        x, _, w, _ = a['bbox']
        yield a, prior_of[a['category_id']], (x + w / 2) / width[a['image_id']]
