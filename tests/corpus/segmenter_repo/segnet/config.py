import json
from dataclasses import dataclass


@dataclass
class SegConfig:
    in_channels: int = 3
    num_classes: int = 4
    width: int = 16
    depth: int = 2

    @classmethod
    def from_json(cls, path):
        with open(path) as f:
            return cls(**json.load(f))
