"""openEO API 1.x back-ends behind eojobs: user-defined processes as services, batch jobs."""
