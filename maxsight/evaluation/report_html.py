"""``report.html``: the markdown report of ``tools/test.py --report-dir`` as one
self-contained page, its plots and the worst missed-hazard examples embedded as base64 PNGs
(a colleague can open it from an e-mail)."""
import base64
import html
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence


def _inline(text: str) -> str:
    text = html.escape(text)
    return re.sub(r'\*\*(.+?)\*\*', r'<b>\1</b>', text)


def markdown_to_html(md: str, folder: str) -> str:
    """The report's markdown (headings, paragraphs, tables, image links to PNGs in
    ``folder``) as HTML, images embedded."""
    out: List[str] = []
    table: List[List[str]] = []

    def flush():
        if table:
            head, rows = table[0], table[2:]
            out.append('<table><tr>' + ''.join(f'<th>{_inline(c)}</th>' for c in head) +
                       '</tr>' + ''.join('<tr>' + ''.join(f'<td>{_inline(c)}</td>' for c in r)
                                         + '</tr>' for r in rows) + '</table>')
            table.clear()
    for line in md.splitlines():
        if line.startswith('|'):
            table.append([c.strip() for c in line.strip().strip('|').split('|')])
            continue
        flush()
        image = re.fullmatch(r'!\[(.*)\]\((.+\.png)\)', line.strip())
        if image:
            out.append(embed_png(osp.join(folder, image.group(2)), image.group(1)))
        elif line.startswith('#'):
            level = len(line) - len(line.lstrip('#'))
            out.append(f'<h{level}>{_inline(line.lstrip("#").strip())}</h{level}>')
        elif line.strip():
            out.append(f'<p>{_inline(line)}</p>')
    flush()
    return '\n'.join(out)


def embed_png(path: str, alt: str = '') -> str:
    with open(path, 'rb') as f:
        data = base64.b64encode(f.read()).decode('ascii')
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def write_missed_hazard_pictures(examples: Sequence[dict], class_names: Sequence[str],
                                 out_dir: str) -> List[str]:
    """One picture per example (ground truth: the missed hazards; prediction: what was
    shown), ``missed_hazard_<k>.png``; returns the paths."""
    from PIL import Image

    from ..datasets.transforms import read_rgb
    from ..visualization.render import Objects, render_scene, shown_indices
    paths = []
    for k, ex in enumerate(examples, 1):
        img = read_rgb(ex['img_path'])
        keep = shown_indices(ex['boxes'], ex['scores'], 0.0)  # one box per object, as shown
        picture = render_scene(
            img, Objects(ex['boxes'][keep], ex['labels'][keep], ex['scores'][keep],
                         ex['distance'][keep], ex['urgency'][keep]), class_names,
            gt=Objects(ex['gt_boxes'], ex['gt_labels'], None, ex['gt_distance'],
                       ex['gt_urgency']),
            title=f'(shown) - {osp.basename(ex["img_path"])}',
            gt_title=f'{len(ex["gt_boxes"])} missed hazard(s)')
        path = osp.join(out_dir, f'missed_hazard_{k}.png')
        Image.fromarray(picture).save(path)
        paths.append(path)
    return paths


def write_html(md_path: str, extra_sections: Optional[Dict[str, List[str]]] = None) -> str:
    """``report.html`` beside ``md_path``; ``extra_sections`` {heading: [png paths]} are
    appended (embedded). Returns its path."""
    folder = osp.dirname(md_path)
    with open(md_path) as f:
        body = markdown_to_html(f.read(), folder)
    for heading, pngs in (extra_sections or {}).items():
        body += f'\n<h2>{html.escape(heading)}</h2>\n' + '\n'.join(
            embed_png(p, osp.basename(p)) for p in pngs)
    page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>MaxSight evaluation '
            'report</title><style>body{font-family:sans-serif;max-width:1400px;margin:2em}'
            'table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;'
            'padding:3px 8px;text-align:left}img{max-width:100%;display:block;'
            'margin:1em 0}</style></head><body>\n' + body + '\n</body></html>\n')
    path = osp.join(folder, 'report.html')
    with open(path, 'w') as f:
        f.write(page)
    return path

