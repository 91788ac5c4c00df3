"""The mock platform served over the Fusion Platform REST API (``eojobs mock serve``).

Start one with :func:`eojobs_mock.server.runner.start_server`, or from the
command line with ``eojobs mock serve``.
"""
