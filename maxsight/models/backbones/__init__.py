from .lite_resnet import BasicBlock, LiteResNet
from .torchvision_backbones import ARCHITECTURES, TorchvisionBackbone, TorchvisionResNet

__all__ = ['ARCHITECTURES', 'BasicBlock', 'LiteResNet', 'TorchvisionBackbone',
           'TorchvisionResNet']
