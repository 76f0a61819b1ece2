"""An app for the replica tests: fixed media, s3:// sources, and URLs for given IDs."""

import os

import streamlit as st
from streamlit.runtime import Runtime

from s3_media_storage.demo.media import png_image

source = os.environ.get("REPLICA_APP_SOURCE_PREFIX")
file_id = st.query_params.get("file_id")

if file_id:
    # Build the URL for an ID that this replica may never have uploaded.
    storage = Runtime.instance().media_file_mgr._storage
    st.markdown(f"url={storage.get_url(file_id)}")
elif source:
    st.image(f"{source}/picture.png")
    st.video(f"{source}/clip.mp4")
else:
    st.image(png_image(40, 20))
