"""The torch side, imported only inside the worker (or by `tsviz ... --in-process`): a model file's start
(modelfile.py), conversion, the TorchScript IR adapter (ir.py), archives, and one module per job of the job
table (inspect_model, diff, bench, passes, export)."""
