"""What is computed about a model, worker side (imported only inside the worker or by `tsviz ... --in-process`):
conversion, the TorchScript IR adapter (ir.py), archives, script advice, and one module per job of the job table
(inspect_model, diff, bench, passes, migrate). The model itself comes from tsviz.load."""
