"""A small app with every media kind, for the integration tests."""

import streamlit as st

from s3_media_storage.demo.media import mp4_video, png_image, wav_sound

st.image(png_image(64, 32), caption="image")
st.audio(wav_sound(seconds=0.5), format="audio/wav")
st.video(mp4_video(), format="video/mp4")
st.download_button(
    "Download",
    data=b"a,b\n1,2\n",
    file_name='naïve "report".csv',
    mime="text/csv",
)
