"""A point-cloud classifier in the habit of PointNet++ repositories: forward() reads `B, _, _ = xyz.shape`, splits
coordinates from normals, and meets a Conv2d only once the points are grouped around sampled centres."""
import torch
from torch import nn


class SetAbstraction(nn.Module):
    def __init__(self, npoint, nsample, in_channel, width):
        super().__init__()
        self.npoint, self.nsample = npoint, nsample
        self.conv = nn.Conv2d(in_channel, width, 1)

    def forward(self, xyz, points):
        centres = xyz[:, :, :self.npoint]  # the first points stand in for farthest-point sampling
        grouped = points[:, :, None, :self.nsample].expand(-1, -1, self.npoint, -1)
        grouped = torch.cat([grouped, centres[:, :, :, None].expand(-1, -1, -1, self.nsample)], dim=1)
        return centres, torch.relu(self.conv(grouped)).max(dim=-1)[0]


class PointClassifier(nn.Module):
    def __init__(self, num_class=10, normal_channel=True):
        super().__init__()
        in_channel = 6 if normal_channel else 3
        self.normal_channel = normal_channel
        self.sa = SetAbstraction(npoint=8, nsample=4, in_channel=in_channel, width=32)  # normals + offsets
        self.fc = nn.Linear(32, num_class)

    def forward(self, xyz):
        B, _, _ = xyz.shape
        points = xyz[:, 3:, :] if self.normal_channel else xyz
        xyz = xyz[:, :3, :]
        _, features = self.sa(xyz, points)
        return self.fc(features.max(dim=-1)[0].view(B, -1))
