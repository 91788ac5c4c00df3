"""The demo services of the mock platform, shaped like the Fusion Platform's demo services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eojobs.models import DataType, InputSpec, OptionRule, OptionSpec, Service


@dataclass(frozen=True)
class Product:
    """How a service fills its raster: which synthetic field, and its type and unit."""

    band: str
    field: str
    dtype: str
    unit: str
    classes: int = 0
    """How many classes a classified (``uint8``) product has, numbered from 1."""


@dataclass(frozen=True)
class DemoService:
    """A catalogue entry: the public service, plus what the simulation needs."""

    service: Service
    product: Product
    components: tuple[str, ...]
    base_price: float
    price_per_km2: float
    seconds_per_km2: float
    fails_at: float | None = None

    def price(self, area_km2: float, options: dict[str, Any]) -> float:
        """FPUs one run of a job costs."""
        resolution = float(options.get("resolution", 30) or 30)
        detail = (30.0 / resolution) ** 2 if resolution > 0 else 1.0
        return round(self.base_price + self.price_per_km2 * area_km2 * detail, 2)


AGGREGATOR = "Statistics Aggregator"
GUIDE_SERVICE = "Demo: Sentinel-2 Cloud Classification"
"""The service of the Fusion SDK guide's detailed example, under its real name."""
GUIDE_COMPONENT = "Sentinel-2 Cloud Classification"
"""Its classification component, whose per-execution output the guide downloads."""

_RESOLUTION = OptionSpec(
    name="resolution", data_type=DataType.NUMBER, default=30, minimum=10, maximum=1000,
    unit="m", title="Resolution", description="Output pixel size in metres (10 to 1000).",
)


def _svc(id_: str, name: str, summary: str, keywords: list[str], options: list[OptionSpec],
         inputs: list[InputSpec] | None = None) -> Service:
    return Service(id=id_, name=name, summary=summary, keywords=keywords, options=options,
                   inputs=inputs or [])


SERVICES: tuple[DemoService, ...] = (
    DemoService(
        service=_svc(
            "0b6c2a5e-5d1e-4c1b-9d3e-000000000001", "Elevation",
            "Digital elevation model of the region, with statistics.",
            ["elevation", "dem", "terrain", "demo"],
            [
                _RESOLUTION,
                OptionSpec(name="dem_source", data_type=DataType.CONSTRAINED,
                           default="COPERNICUS", allowed=["COPERNICUS", "SRTM", "ALOS"],
                           title="DEM source", description="Which global DEM to sample."),
                OptionSpec(name="fill_voids", data_type=DataType.BOOLEAN, default=True,
                           title="Fill voids", description="Interpolate across no-data holes."),
            ],
        ),
        product=Product("elevation", "terrain", "float32", "m"),
        components=("Elevation", "Statistics"),
        base_price=1.0, price_per_km2=0.01, seconds_per_km2=0.05,
    ),
    DemoService(
        service=_svc(
            "0b6c2a5e-5d1e-4c1b-9d3e-000000000002", "Cloud Classification",
            "Per-pixel cloud, shadow and clear classes from the latest optical scene.",
            ["cloud", "classification", "optical", "demo"],
            [
                OptionSpec(name="latest_date", data_type=DataType.DATETIME, required=True,
                           title="Latest date", description="Use the newest scene before this."),
                OptionSpec(name="maximum_cloud_cover", data_type=DataType.NUMBER, default=80,
                           minimum=0, maximum=100, unit="%",
                           title="Maximum cloud cover",
                           description="Skip scenes cloudier than this percentage."),
                OptionSpec(name="sensor", data_type=DataType.CONSTRAINED, default="SENTINEL-2",
                           allowed=["SENTINEL-2", "LANDSAT-8", "LANDSAT-9"],
                           title="Sensor", description="Optical mission to classify."),
                _RESOLUTION.model_copy(update={"default": 20}),
            ],
        ),
        product=Product("cloud_class", "clouds", "uint8", "class", classes=3),
        components=("Scene Selection", "Cloud Classification", "Statistics"),
        base_price=2.0, price_per_km2=0.02, seconds_per_km2=0.08,
    ),
    DemoService(
        service=_svc(
            "0b6c2a5e-5d1e-4c1b-9d3e-000000000003", "Vegetation Index",
            "NDVI, EVI or SAVI composite over a date range.",
            ["vegetation", "ndvi", "evi", "savi", "index", "demo"],
            [
                OptionSpec(name="start_date", data_type=DataType.DATETIME, required=True,
                           title="Start date", description="First day of the composite."),
                OptionSpec(name="end_date", data_type=DataType.DATETIME, required=True,
                           title="End date", description="Last day of the composite."),
                OptionSpec(name="index", data_type=DataType.CONSTRAINED, default="NDVI",
                           allowed=["NDVI", "EVI", "SAVI"], title="Index",
                           description="Which vegetation index to compute."),
                OptionSpec(name="mask_clouds", data_type=DataType.BOOLEAN, default=True,
                           title="Mask clouds", description="Drop cloudy pixels first."),
                _RESOLUTION.model_copy(update={"default": 10}),
            ],
            [InputSpec(number=2, name="mask", file_type="GeoTIFF",
                       description="Optional raster mask; non-zero pixels are kept.")],
        ).model_copy(update={"option_rules": [OptionRule(
            left="start_date", op="<=", right="end_date",
            message="the composite runs from the start date to the end date")]}),
        product=Product("ndvi", "vegetation", "float32", "index"),
        components=("Composite", "Vegetation Index", "Statistics"),
        base_price=2.5, price_per_km2=0.015, seconds_per_km2=0.1,
    ),
    DemoService(
        service=_svc(
            "0b6c2a5e-5d1e-4c1b-9d3e-000000000004", AGGREGATOR,
            "Zonal statistics of a synthetic land-cover raster, aggregated over the region.",
            ["statistics", "aggregator", "zonal", "demo"],
            [
                OptionSpec(name="statistic", data_type=DataType.CONSTRAINED, default="mean",
                           allowed=["mean", "minimum", "maximum", "sum"], title="Statistic",
                           description="Which statistic to aggregate."),
                OptionSpec(name="budget", data_type=DataType.CURRENCY, default="10.00", minimum=0,
                           title="Budget", description="Most FPUs to spend; the job stops there."),
                OptionSpec(name="label", data_type=DataType.STRING, default="region",
                           title="Label", description="Name written into the statistics table."),
                _RESOLUTION.model_copy(update={"default": 100}),
            ],
        ),
        product=Product("land_cover", "landcover", "uint8", "class", classes=5),
        components=("Land Cover", AGGREGATOR),
        base_price=0.5, price_per_km2=0.002, seconds_per_km2=0.02,
    ),
    DemoService(
        service=_svc(
            "0b6c2a5e-5d1e-4c1b-9d3e-000000000005", GUIDE_SERVICE,
            "Ground, shadow, thick and thin cloud classes from Sentinel-2 over a date range.",
            ["cloud", "classification", "sentinel-2", "optical", "demo"],
            [
                OptionSpec(name="latest_date", data_type=DataType.BOOLEAN, default=True,
                           title="Latest date",
                           description="Use the newest scene; when false, use the date range."),
                OptionSpec(name="start_date", data_type=DataType.DATETIME,
                           title="Start date",
                           description="First day to search when latest_date is false."),
                OptionSpec(name="end_date", data_type=DataType.DATETIME,
                           title="End date",
                           description="Last day to search (none: the day after start_date)."),
                _RESOLUTION.model_copy(update={"default": 20}),
            ],
        ).model_copy(update={"option_rules": [OptionRule(
            left="start_date", op="<=", right="end_date",
            message="the search runs from the start date to the end date")]}),
        product=Product("cloud_classification", "clouds", "uint8", "class", classes=4),
        components=(GUIDE_COMPONENT, "Statistics"),
        base_price=2.0, price_per_km2=0.002, seconds_per_km2=0.02,
    ),
    DemoService(
        service=_svc(
            "0b6c2a5e-5d1e-4c1b-9d3e-0000000000ff", "Failing Demo",
            "Always fails part-way, to try error handling.",
            ["failure", "error", "test", "demo"],
            [OptionSpec(name="message", data_type=DataType.STRING,
                        default="simulated failure: out of memory in the demo processor",
                        title="Message", description="The error the job fails with.")],
        ),
        product=Product("nothing", "terrain", "float32", "m"),
        components=("Failing Processor",),
        base_price=0.1, price_per_km2=0.0, seconds_per_km2=0.05, fails_at=0.4,
    ),
)

BY_ID = {d.service.id: d for d in SERVICES}
