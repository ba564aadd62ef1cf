"""A decoder in the habit of older speech repositories: mel frames come channels first (batch x mels x frames) and
are transposed before the prenet, and the padding mask is made on the GPU by tensor type, in the repository's
utils.py."""
import torch
from torch import nn
from utils import lengths_mask


class MelDecoder(nn.Module):
    def __init__(self, n_mels=20, dim=32):
        super().__init__()
        self.prenet = nn.Linear(n_mels, dim)
        self.project = nn.Linear(dim, n_mels)

    def forward(self, mels, mel_lengths):
        frames = torch.relu(self.prenet(mels.transpose(1, 2)))
        keep = lengths_mask(mel_lengths)
        return self.project(frames) * keep.unsqueeze(2)
