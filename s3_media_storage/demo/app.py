"""Demo app: every kind of Streamlit media, served from S3."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import streamlit as st

from s3_media_storage.demo.media import mp4_video, png_image, wav_sound

REPORT_NAME = "résumé – café 2026.csv"
REPORT = "city,visitors\nZürich,1200\nMontréal,950\nKraków,780\n".encode()

st.set_page_config(page_title="s3-media-storage demo")
st.title("s3-media-storage demo")

bucket = os.environ.get("S3_MEDIA_BUCKET", "")
endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
endpoint_host = urlsplit(endpoint).netloc if endpoint else "AWS S3"
st.write(
    f"Every file below is an object in the bucket **{bucket}** and loads from"
    f" **{endpoint_host}** through a presigned URL, not from this Streamlit server."
)

st.subheader("Image")
st.image(png_image(), caption="A PNG made by s3_media_storage.demo.media", output_format="PNG")

st.subheader("Sound")
st.audio(wav_sound(), format="audio/wav")

st.subheader("Video")
st.video(mp4_video(), format="video/mp4")

st.subheader("Download")
st.download_button(
    "Download the visitor report",
    data=REPORT,
    file_name=REPORT_NAME,
    mime="text/csv",
)

st.button("Rerun the script")
