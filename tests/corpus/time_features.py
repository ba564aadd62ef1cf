"""A forecasting model in the habit of long-sequence time-series repositories: values come batch x time x channels
and are turned channels-first for a Conv1d token embedding, and each column of the integer time features (month,
day, weekday, hour) goes into its own embedding."""
from torch import nn


class FixedEmbedding(nn.Module):
    def __init__(self, size, d_model):
        super().__init__()
        self.emb = nn.Embedding(size, d_model)

    def forward(self, x):
        return self.emb(x).detach()


class TimeEmbedding(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.hour_embed = FixedEmbedding(24, d_model)
        self.weekday_embed = FixedEmbedding(7, d_model)
        self.day_embed = FixedEmbedding(32, d_model)
        self.month_embed = FixedEmbedding(13, d_model)

    def forward(self, x):
        x = x.long()
        return (self.hour_embed(x[:, :, 3]) + self.weekday_embed(x[:, :, 2]) + self.day_embed(x[:, :, 1])
                + self.month_embed(x[:, :, 0]))


class Forecaster(nn.Module):
    def __init__(self, enc_in=7, c_out=7, d_model=16, pred_len=4):
        super().__init__()
        self.pred_len = pred_len
        self.token = nn.Conv1d(enc_in, d_model, kernel_size=3, padding=1)
        self.time = TimeEmbedding(d_model)
        self.project = nn.Linear(d_model, c_out)

    def forward(self, x_enc, x_mark_enc):
        hidden = self.token(x_enc.permute(0, 2, 1)).transpose(1, 2) + self.time(x_mark_enc)
        return self.project(hidden)[:, -self.pred_len:, :]
