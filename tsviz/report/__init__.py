"""What both front ends show, made from results without torch or streamlit: JSON views and table rows
(views.py), benchmark tables, CSV and charts (bench.py), the self-contained HTML review report (review.py)."""
