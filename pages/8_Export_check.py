"""Not a page of its own: /Export_check is the address the Migrate page had before it was renamed (tsviz/ui/page.py,
RENAMED). With this file Streamlit knows the address, so an old permalink opens Migrate, link and all, without first
showing "Page not found". The sidebar does not list it (the pages draw their own links)."""
from tsviz import ui

ui.follow_renamed_page()
