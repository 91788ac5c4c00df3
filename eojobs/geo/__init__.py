"""Reading and checking regions of interest: the machinery behind :class:`eojobs.Region`.

Readers turn files and strings into :class:`~eojobs.geo.features.Parsed`
features in their own CRS; :mod:`eojobs.geo.checks` reprojects, repairs on
request, and refuses what cannot be a region, with a message that says what
to do.
"""
