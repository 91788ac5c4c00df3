"""Campaigns of many jobs: one job per region, state in a database, resumable after any crash."""
