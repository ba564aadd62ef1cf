"""Every page test starts from an empty st.cache_data: a result cached by one test must not answer another's."""
from __future__ import annotations

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_data.clear()
    yield
