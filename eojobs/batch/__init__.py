"""Campaigns of many jobs: one job per region, state in a database, resumable after any crash.

::

    from eojobs.batch import Campaign

    campaign = Campaign.create("fields/", "Elevation", "fields.geojson",
                               options={"resolution": 30})
    campaign.run(download=True)          # again after a crash: it goes on
    print(campaign.status())             # {'queued': 0, ..., 'done': 40, ...}

A campaign's folder holds its state (``campaign.db``), one folder of files
per row and ``summary.json``.
"""

from __future__ import annotations

from eojobs.batch.campaign import Campaign
from eojobs.batch.records import STATES, CampaignInfo, NewRow, Row
from eojobs.batch.runner import RunSettings

__all__ = ["STATES", "Campaign", "CampaignInfo", "NewRow", "Row", "RunSettings"]
