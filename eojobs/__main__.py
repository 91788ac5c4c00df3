"""``python -m eojobs`` runs the command line."""

from eojobs.cli import main

main()
