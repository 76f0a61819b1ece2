"""An st.App app, which `streamlit run` serves through uvicorn."""

import streamlit as st

app = st.App("asgi_page.py")
