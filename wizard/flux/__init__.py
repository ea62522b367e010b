"""Flux: credentials, the bootstrap command, and reading Flux objects' status from the API."""
