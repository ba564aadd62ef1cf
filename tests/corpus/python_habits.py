"""Ordinary Python habits that TorchScript refuses: **kwargs, a lambda, a generator, numpy, a keyword int scale."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class KwargsHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x, **kwargs):
        return self.fc(x)


class LambdaAct(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = lambda t: t * torch.sigmoid(t)
        self.fc = nn.Linear(16, 16)

    def forward(self, x):
        return self.fc(x).clamp(min=0) + 1


class GeneratorSum(nn.Module):
    def __init__(self):
        super().__init__()
        self.parts = nn.ModuleList([nn.Linear(16, 16) for _ in range(3)])

    def forward(self, x):
        return sum(part(x) for part in self.parts)


class NumpyScale(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 16)

    def forward(self, x):
        return self.fc(x) * float(np.sqrt(16))


class Upsampler(nn.Module):
    def __init__(self, scale=2):
        super().__init__()
        self.scale = scale
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=self.scale, mode="nearest"))


class Habits(nn.Module):
    def __init__(self):
        super().__init__()
        self.gen = GeneratorSum()
        self.np = NumpyScale()
        self.head = KwargsHead()

    def forward(self, x):
        return self.head(self.np(self.gen(x)))
