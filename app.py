"""tsviz dashboard entry point: navigation, the shared model picker, and the page the user chose."""
import streamlit as st

from tsviz import ui

st.set_page_config(page_title="tsviz: TorchScript explorer", page_icon=":material/account_tree:", layout="wide")

page = st.navigation([
    st.Page("pages/1_Graph_and_code.py", title="Graph & code", icon=":material/account_tree:", default=True),
    st.Page("pages/2_Model_overview.py", title="Model overview", icon=":material/info:"),
])
st.session_state["loaded"] = ui.sidebar()
page.run()
