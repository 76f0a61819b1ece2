import streamlit as st

from s3_media_storage.demo.media import wav_sound

st.audio(wav_sound(seconds=0.25), format="audio/wav")
