"""Text around media with new bytes on every run, for the S3 outage test.

The bytes change on every run, so every run uploads. The first two media
elements catch the storage's error and show it with st.exception, so the page
goes on. The video does not catch it: Streamlit shows the error and stops the
script there, as for any uncaught exception.
"""

import time

import streamlit as st
from streamlit.runtime.media_file_storage import MediaFileStorageError

stamp = str(time.time_ns()).encode()

st.write("before media")
try:
    st.audio(b"RIFF" + stamp, format="audio/wav")
except MediaFileStorageError as error:
    st.exception(error)
try:
    st.download_button(
        "Download", data=b"a,b\n" + stamp, file_name="run.csv", mime="text/csv"
    )
except MediaFileStorageError as error:
    st.exception(error)
st.write("between media")
st.video(b"video" + stamp, format="video/mp4")
st.write("after media")
