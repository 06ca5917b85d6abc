"""torchvision backbones: local torchvision state dicts arrive weight for weight, clear
errors for files that do not fit, frozen stages and norm_eval as in mmdetection."""
import pytest
import torch
import torchvision

from maxsight.models.backbones import ARCHITECTURES, TorchvisionBackbone, TorchvisionResNet
from maxsight.models.backbones.torchvision_backbones import PretrainedWeightsError
from maxsight.registry import MODELS


def _saved_torchvision(arch, path, seed=0, transform=None):
    torch.manual_seed(seed)
    state = torchvision.models.get_model(arch, weights=None).state_dict()
    state = transform(state) if transform else state
    torch.save(state, path)
    return state


def _perturbed(state):
    """Every tensor moved off torchvision's deterministic initial values (BatchNorm's ones
    and zeros), so a weight that is not loaded shows."""
    g = torch.Generator().manual_seed(3)
    return {k: v + torch.rand(v.shape, generator=g) if v.is_floating_point() else v + 7
            for k, v in state.items()}


@pytest.mark.parametrize('arch', [
    pytest.param(a, marks=pytest.mark.slow) if a in ('resnet50', 'convnext_tiny', 'resnet34')
    else a for a in sorted(ARCHITECTURES)])  # the large ones in the slow tier, for time
def test_every_weight_of_a_torchvision_state_dict_arrives(arch, tmp_path):
    path = str(tmp_path / f'{arch}.pth')
    reference = _saved_torchvision(arch, path, seed=1, transform=_perturbed)
    torch.manual_seed(2)  # the backbone's own initialisation differs from the file's
    backbone = MODELS.build(dict(type='TorchvisionBackbone', arch=arch, out_indices=(0, 1, 2, 3),
                                 init_cfg=dict(type='Pretrained', checkpoint=path)))
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    backbone.init_weights()
    loaded = backbone.state_dict()
    unused = ARCHITECTURES[arch][3]
    expected = {k for k in reference if not k.startswith(tuple(unused))}
    assert set(backbone.torchvision_names.values()) == expected
    changed = 0
    for ours, tv in backbone.torchvision_names.items():
        assert torch.equal(loaded[ours], reference[tv]), (ours, tv)
        changed += not torch.equal(before[ours], reference[tv])
    assert changed == len(expected)  # every tensor of the file differs from the init
    x = torch.randn(1, 3, 64, 96)
    shapes = [tuple(o.shape) for o in backbone.eval()(x)]
    assert shapes == [(1, c, 64 // s, 96 // s)
                      for c, s in zip(ARCHITECTURES[arch][2], (4, 8, 16, 32))]
    assert backbone.out_channels == list(ARCHITECTURES[arch][2])


def test_a_file_that_does_not_fit_names_the_keys_and_says_what_to_do(tmp_path):
    def drop(state):
        state.pop('layer1.0.conv1.weight')
        return state
    path = str(tmp_path / 'r18.pth')
    _saved_torchvision('resnet18', path, transform=drop)
    backbone = TorchvisionResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(PretrainedWeightsError, match=r'r18.pth: not a torchvision resnet18 '
                       r'state dict \(1 missing: layer1.0.conv1.weight\); save one with '
                       r'torch.save\(torchvision.models.resnet18\(weights=...\)'):
        backbone.init_weights()
    other = str(tmp_path / 'r34.pth')
    _saved_torchvision('resnet34', other)  # extra blocks: unexpected keys
    backbone = TorchvisionResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=other))
    with pytest.raises(PretrainedWeightsError, match=r'unexpected: layer1.2.bn1.bias'):
        backbone.init_weights()
    wide = str(tmp_path / 'r50.pth')
    _saved_torchvision('resnet50', wide)
    backbone = TorchvisionResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=wide))
    with pytest.raises(PretrainedWeightsError,
                       match=r'with another shape: layer1.0.conv1.weight \(64, 64, 1, 1\) '
                             r'\(needs \(64, 64, 3, 3\)\)'):
        backbone.init_weights()


def test_prefix_selects_the_backbone_of_a_detector_checkpoint(tmp_path):
    torch.manual_seed(0)
    state = torchvision.models.resnet18(weights=None).state_dict()
    path = str(tmp_path / 'det.pth')
    torch.save(dict(state_dict={**{f'backbone.{k}': v for k, v in state.items()},
                                'neck.w': torch.zeros(1)}), path)
    backbone = TorchvisionResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=path,
                                                         prefix='backbone'))
    backbone.init_weights()
    assert torch.equal(backbone.stem[0].weight, state['conv1.weight'])
    assert torch.equal(backbone.stages[3][1].bn2.running_var, state['layer4.1.bn2.running_var'])


def test_no_init_cfg_keeps_the_initialisation_and_bad_arguments_say_what_is_allowed():
    torch.manual_seed(0)
    backbone = TorchvisionResNet(depth=18)
    before = backbone.stem[0].weight.clone()
    backbone.init_weights()
    assert torch.equal(before, backbone.stem[0].weight)
    for kwargs, message in ((dict(arch='vgg16'), 'arch must be one of resnet18'),
                            (dict(out_indices=(4,)), 'out_indices must be stages 0-3'),
                            (dict(frozen_stages=5), 'frozen_stages must be -1..4'),
                            (dict(init_cfg=dict(type='Kaiming')), "init_cfg must be dict")):
        with pytest.raises(ValueError, match=message):
            TorchvisionBackbone(**kwargs)
    with pytest.raises(ValueError, match='depth must be 18, 34 or 50'):
        TorchvisionResNet(depth=101)


def test_frozen_stages_get_no_gradient_and_stay_in_eval_mode():
    torch.manual_seed(0)
    backbone = TorchvisionResNet(depth=18, frozen_stages=1, out_indices=(3,)).train()
    assert not backbone.stem.training and not backbone.stages[0].training
    assert backbone.stages[1].training
    backbone(torch.randn(2, 3, 64, 64))[0].sum().backward()
    assert all(p.grad is None and not p.requires_grad for m in (backbone.stem,
               backbone.stages[0]) for p in m.parameters())
    assert all(p.grad is not None for p in backbone.stages[1].parameters())
    stem_only = TorchvisionResNet(depth=18, frozen_stages=0).train()
    assert not stem_only.stem.training and stem_only.stages[0].training
    assert all(p.requires_grad for p in stem_only.stages[0].parameters())
    assert all(p.requires_grad for p in TorchvisionResNet(depth=18).parameters())


def test_norm_eval_keeps_imagenet_statistics_while_training():
    torch.manual_seed(0)
    for norm_eval in (True, False):
        backbone = TorchvisionResNet(depth=18, norm_eval=norm_eval).train()
        bn = backbone.stages[2][0].bn1
        before = bn.running_mean.clone()
        backbone(torch.randn(2, 3, 64, 64))
        assert torch.equal(before, bn.running_mean) == norm_eval
        assert backbone.stages[2].training  # norm_eval leaves the convs training


def test_a_missing_pretrained_file_says_how_to_make_one(tmp_path):
    path = str(tmp_path / 'nowhere.pth')
    backbone = TorchvisionBackbone('mobilenet_v3_large',
                                   init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(FileNotFoundError, match=r"pretrained mobilenet_v3_large weights not "
                       r"found: .*nowhere.pth; save them .* torch.save\(torchvision.models."
                       r"mobilenet_v3_large\(weights='DEFAULT'\).state_dict\(\).*"
                       r"model.backbone.init_cfg=None"):
        backbone.init_weights()


def test_photo_configs_build_with_their_backbones_channels():
    from mmengine.config import Config
    for name, arch in (('t2_r50_coco_format', 'resnet50'),
                       ('t2_mobilenetv3_coco_format', 'mobilenet_v3_large')):
        cfg = Config.fromfile(f'configs/{name}.py')
        cfg.model.bbox_head.num_classes = 80
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model)
        assert model.backbone.arch == arch
        assert model.backbone.out_channels == list(cfg.model.neck.in_channels)
        feats = model.extract_feat(torch.zeros(1, 3, 128, 160))
        assert [tuple(f.shape[1:]) for f in feats] == [
            (cfg.model.neck.out_channels, 128 // s, 160 // s) for s in (8, 16, 32)]
