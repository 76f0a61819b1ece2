"""Benchmarks of s3-media-storage against Streamlit's in-memory storage, plain
boto3 and django-storages, on a local S3 endpoint. Run ``python -m bench``;
BENCHMARKS.md describes the cases and records results.
"""
