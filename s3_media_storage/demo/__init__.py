"""The demo app that ``s3-media demo`` runs, and the media it shows."""
