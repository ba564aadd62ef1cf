"""A small segmentation package, laid out as repositories lay out theirs."""
from .model import SegNet

__all__ = ["SegNet"]
