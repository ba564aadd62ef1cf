"""tsviz: explore TorchScript graphs in a dashboard, a library and a command line."""

__version__ = "0.1.0"
