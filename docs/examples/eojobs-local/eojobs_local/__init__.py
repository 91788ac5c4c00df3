"""An example eojobs backend that runs jobs on the user's own machine."""
