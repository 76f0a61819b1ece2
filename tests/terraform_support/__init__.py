"""Helpers that check the Terraform module under terraform/ without AWS access."""
