"""A small CIFAR-style model zoo: blocks that need arguments, one network class built from a block type and a
list of depths, zero-argument factories that are the real entry points, and a test() that says the input size
(in the style of popular model-zoo repositories: no __main__ guard, the user opens the file to see a model)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.reduce = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.conv = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.expand = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn = nn.BatchNorm2d(planes * self.expansion)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes * self.expansion:
            self.shortcut = nn.Conv2d(in_planes, planes * self.expansion, 1, stride, bias=False)

    def forward(self, x):
        out = self.expand(F.relu(self.conv(F.relu(self.reduce(x)))))
        return F.relu(self.bn(out) + self.shortcut(x))


class ZooNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super().__init__()
        self.in_planes = 16
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(block, 16, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 32, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 64, num_blocks[2], stride=2)
        self.linear = nn.Linear(64 * block.expansion, num_classes)

    def _make_layer(self, block, planes, count, stride):
        layers = []
        for s in [stride] + [1] * (count - 1):
            layers.append(block(self.in_planes, planes, s))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn(self.stem(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.adaptive_avg_pool2d(out, 1)
        return self.linear(out.view(out.size(0), -1))


def ZooNet8():
    return ZooNet(BasicBlock, [1, 1, 1])


def ZooNet14():
    return ZooNet(BasicBlock, [2, 2, 2])


def ZooNet29():
    return ZooNet(Bottleneck, [3, 3, 3], num_classes=100)


def test():
    net = ZooNet14()
    y = net(torch.randn(2, 3, 40, 40))
    print(y.size())

# test()
