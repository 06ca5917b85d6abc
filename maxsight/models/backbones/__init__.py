from .lite_resnet import BasicBlock, LiteResNet

__all__ = ['BasicBlock', 'LiteResNet']
