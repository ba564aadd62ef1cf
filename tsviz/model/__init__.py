"""The plain data that crosses the worker boundary: requests and results (types.py), errors, JSON conversion,
stages, input specs, upload rules, and the one job table (jobs.py). No torch, no streamlit."""
