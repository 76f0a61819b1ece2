"""Every media kind and a rerun button, for the browser tests."""

import streamlit as st

from s3_media_storage.demo.media import mp4_video, png_image, wav_sound

DOWNLOAD_NAME = "résumé – café.csv"
DOWNLOAD_DATA = "ville,visiteurs\nZürich,1200\nKraków,780\n".encode()

st.session_state.runs = st.session_state.get("runs", 0) + 1
# The browser tests read this text to tell which script run the page shows.
st.write(f"Script run {st.session_state.runs}")

st.image(png_image(320, 180), caption="image")
st.audio(wav_sound(seconds=2.0), format="audio/wav")
st.video(mp4_video(), format="video/mp4")
# By default a download button also reruns the script. Here only the Rerun
# button does, so the run count above changes only when a test asks for it.
st.download_button(
    "Download the report",
    data=DOWNLOAD_DATA,
    file_name=DOWNLOAD_NAME,
    mime="text/csv",
    on_click="ignore",
)
st.button("Rerun")
