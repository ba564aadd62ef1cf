"""SegNet: an encoder-decoder whose blocks live in a sibling module, configured by the package's own config."""
from segnet.config import SegConfig

from .parts import *


class SegNet(nn.Module):
    def __init__(self, config: SegConfig):
        super().__init__()
        w = config.width
        self.inc = ConvBlock(config.in_channels, w)
        self.downs = nn.ModuleList([Down(w * 2**i, w * 2 ** (i + 1)) for i in range(config.depth)])
        self.ups = nn.ModuleList([Up(w * 2 ** (i + 1), w * 2**i) for i in reversed(range(config.depth))])
        self.head = nn.Conv2d(w, config.num_classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:
            x = up(x, skips.pop())
        return self.head(x)


class SegNetFromFile(SegNet):
    """The same network, its sizes read from a config file of the repository, by a path relative to its root."""

    def __init__(self, path="configs/small.json"):
        super().__init__(SegConfig.from_json(path))


class SegNetWithSchema(SegNet):
    """Reads its config with a package this machine does not have, inside the constructor."""

    def __init__(self):
        from omegaconf import OmegaConf

        super().__init__(SegConfig(**OmegaConf.load("configs/small.yaml")))
