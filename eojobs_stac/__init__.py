"""The STAC backend: any STAC API's collections as services, scene downloads as jobs."""
