"""eojobs_fusion: the Fusion Platform backend, over its REST API."""
