"""eojobs_fusion: the Fusion Platform backend (not yet implemented)."""
