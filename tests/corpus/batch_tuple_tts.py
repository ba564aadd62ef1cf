"""A small text-to-mel model in the habit of speech repositories: the data loader's parse_batch() builds one tuple
(padded text, text lengths, padded mels, the longest length, mel lengths), and forward() takes that tuple whole and
unpacks it. Its frame mask comes from the lengths, on the input's device."""
import torch
from torch import nn


class TextToMel(nn.Module):
    def __init__(self, n_symbols=40, n_mels=20, dim=32):
        super().__init__()
        self.embedding = nn.Embedding(n_symbols, dim)
        self.encoder = nn.Conv1d(dim, dim, kernel_size=3, padding=1)
        self.prenet = nn.Linear(n_mels, dim)
        self.project = nn.Linear(dim, n_mels)

    def parse_batch(self, batch):
        text, text_lengths, mels, mel_lengths = batch
        return (text, text_lengths, mels, int(text_lengths.max()), mel_lengths), mels

    def forward(self, inputs):
        text, text_lengths, mels, max_len, mel_lengths = inputs
        memory = self.encoder(self.embedding(text).transpose(1, 2)).transpose(1, 2)
        keep = torch.arange(max_len, device=text.device)[None, :] < text_lengths[:, None]
        context = (memory * keep[:, :, None]).sum(1, keepdim=True) / text_lengths[:, None, None]
        frames = torch.relu(self.prenet(mels)) + context
        return self.project(frames), keep


class OnTheGpu(nn.Module):
    """The same habit with a mask allocated on CUDA by type, as older speech repositories do."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(40, 8)

    def forward(self, text, text_lengths):
        ids = torch.arange(0, text.shape[1], out=torch.cuda.LongTensor(text.shape[1]))
        return self.embedding(text) * (ids[None, :] < text_lengths[:, None])[:, :, None]
