"""eojobs_mock: an offline simulated EO platform, the default eojobs backend."""
