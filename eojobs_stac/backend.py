"""The STAC backend: maps the eojobs SPI onto any STAC API, through pystac-client.

Services are the API's collections. A job is a search done when it is
created: its items and chosen assets are kept in the eojobs home (see
:mod:`eojobs_stac.store`), so a job is seen from every process. A job runs
until every asset is online (an offline one is ordered where the item says
how, and looked at each time the job is read), then succeeds; downloading is
the core's.
"""

from __future__ import annotations

import functools
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, ClassVar, TypeVar

import pystac

from eojobs.backend import Backend, BackendSettings, ByteStream, JobRequest, SearchRequest
from eojobs.errors import BackendError, NotFound, OptionError, Unsupported
from eojobs.models import Asset, Capability, JobInfo, JobStatus, Service
from eojobs.options import to_jsonable
from eojobs.scenes import Scene
from eojobs.shapes import reads_answers
from eojobs_stac import mapping, query
from eojobs_stac.io import BoundedStacIO
from eojobs_stac.settings import StacSettings, endpoint
from eojobs_stac.store import GONE, WAITING, AssetRow, JobRow, Store
from eojobs_stac.transfer import AssetTransfer

T = TypeVar("T")
_shapes = reads_answers("the STAC API")


def _answers(method: Callable[..., T]) -> Callable[..., T]:
    """Decorate a method that reads the API's answers: pystac's and pystac-client's
    complaints about them, and answers of an unexpected shape, become one BackendError."""
    from pystac import STACError, STACTypeError
    from pystac_client.errors import ClientTypeError
    from pystac_client.exceptions import APIError
    from pystac_client.warnings import DoesNotConformTo, PystacClientWarning

    shaped = _shapes(method)

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            with warnings.catch_warnings():
                # A part of the API that is missing is an error; pystac-client's other
                # warnings (it falls back to reading a catalogue) are its own business.
                warnings.simplefilter("ignore", PystacClientWarning)
                warnings.simplefilter("error", DoesNotConformTo)
                return shaped(*args, **kwargs)
        except DoesNotConformTo as exc:
            raise Unsupported(f"the STAC API does not offer {exc.args[0] if exc.args else 'it'}"
                              " (it does not conform to that part of the STAC API)") from None
        except (STACError, STACTypeError, ClientTypeError, APIError) as exc:
            raise BackendError(f"the STAC API answered with something eojobs cannot read "
                               f"({type(exc).__name__}: {exc})") from exc
    return wrapper
#: The most offline assets looked at each time a job is read.
LOOKS_PER_READ = 32


class StacBackend(Backend[StacSettings]):
    """Any STAC API: collections as services, the scenes of a search as a job's outputs."""

    name: ClassVar[str] = "stac"
    title: ClassVar[str] = "STAC APIs: scenes of collections"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.PRICE, Capability.RESUMABLE_DOWNLOADS,
    })
    settings_model: ClassVar[type[BackendSettings]] = StacSettings
    poll_interval: ClassVar[tuple[float, float]] = (0.5, 30.0)
    variant_setting: ClassVar[str | None] = "provider"

    def __init__(self, settings: StacSettings) -> None:
        super().__init__(settings)
        self.endpoint = endpoint(settings)
        self.policy = settings.policy()
        self.io = BoundedStacIO(self.endpoint.url, self.endpoint.headers, self.policy)
        self.transfer = AssetTransfer(self.io.session, self.policy, self.io.headers_for)
        self.store = Store()
        #: Items asked for in one page of a search; pystac-client follows the pages.
        self.page_size = settings.page_size
        self._api: Any = None

    def close(self) -> None:
        """Close the HTTP connections."""
        self.io.session.close()

    @property
    def api(self) -> Any:
        """The pystac-client Client of the API, opened (one request) on first use."""
        if self._api is None:
            from pystac_client import Client

            self._api = _answers(Client.open)(self.endpoint.url, stac_io=self.io)
        return self._api

    def _conforms(self, name: str) -> bool:
        from pystac_client.conformance import ConformanceClasses

        return bool(self.api.conforms_to(getattr(ConformanceClasses, name)))

    # Services

    @_answers
    def list_services(self, search: str | None = None) -> list[Service]:
        """The API's collections (the core filters them by ``search``)."""
        return [mapping.service(c) for c in self.api.get_collections()]

    @_answers
    def get_service(self, service_id: str) -> Service:
        """One collection, with its extent, summaries and item assets."""
        return mapping.service(self.api.get_collection(service_id))

    # Searching

    @_answers
    def search(self, request: SearchRequest) -> list[Scene]:
        """The scenes a job would take, with the chosen assets; nothing is kept."""
        found = self._found(request)
        return [mapping.scene(item, keys, request.service.id) for item, keys in found]

    def _found(self, request: SearchRequest) -> list[tuple[pystac.Item, list[str]]]:
        can_filter = self._conforms("FILTER")
        plan = query.plan(request, can_filter, self.endpoint.url)
        arguments = query.search_arguments(plan, self.page_size, can_filter,
                                           self._conforms("QUERY"))
        items = self.api.search(**arguments).items()
        passed_over: set[str] = set()
        found = list(query.kept(items, plan, passed_over))
        have = {k for item, _ in found for k in item.assets} | passed_over
        for key in plan.assets or []:
            if have and not any(key in item.assets for item, _ in found):
                raise OptionError(f"no scene found has an asset {key!r}; they have: "
                                  f"{', '.join(sorted(have))}")
        return found

    # Jobs

    @_answers
    def submit(self, request: JobRequest) -> JobInfo:
        """Search, and keep the items and chosen assets as a new job; it costs nothing."""
        found = self._found(SearchRequest(request.service, request.region, request.options))
        if not found:
            raise NotFound(f"no scenes of {request.service.id} match the region and options; "
                           "no job was created (try `eojobs search` with wider dates)")
        row = JobRow(id=str(uuid.uuid4()), api=self.endpoint.url, name=request.name,
                     collection=request.service.id, region=request.region.to_geojson(),
                     options={k: to_jsonable(v) for k, v in request.options.items()},
                     status="created", created_at=time.time(), started_at=None,
                     ended_at=None, error=None)
        items = [(item.id, mapping.document(item, keys)) for item, keys in found]
        assets = [(asset.model_dump(mode="json"), mapping.offline(item, item.assets[key]))
                  for item, keys in found
                  for key, asset in zip(keys, mapping.assets(item, keys), strict=True)]
        self.store.add(row, items, assets)
        return self._info(row, self.store.assets(row.id))

    def start(self, job_id: str) -> JobInfo:
        """Order the offline assets whose items say how, and start waiting for them."""
        row = self._row(job_id)
        if row.status == "created":
            waiting = {a.asset["execution_id"] for a in self.store.assets(job_id)
                       if a.state == WAITING}
            for document in self.store.items(job_id):
                link = _order_link(document)
                if document.get("id") in waiting and link:
                    self.transfer.order(link)
            self.store.set_status(job_id, "running")
        return self.get_job(job_id)

    def delete(self, job_id: str) -> None:
        """Forget the job (the provider's files are not the job's to delete)."""
        self._row(job_id)
        self.store.delete(job_id)

    def get_job(self, job_id: str) -> JobInfo:
        """The job's state; a running one looks at its offline assets first."""
        row = self._row(job_id)
        assets = self.store.assets(job_id)
        if row.status == "running":
            row, assets = self._advance(row, assets)
        return self._info(row, assets)

    def list_jobs(self) -> list[JobInfo]:
        """The jobs made on this API, newest first, as last recorded."""
        return [self._info(row, self.store.assets(row.id))
                for row in self.store.jobs(self.endpoint.url)]

    def job_region(self, job_id: str) -> dict[str, Any]:
        """The region the job was created with."""
        return self._row(job_id).region

    def _row(self, job_id: str) -> JobRow:
        row = self.store.job(job_id)
        if row is None:
            raise NotFound(f"no STAC job {job_id}")
        if row.api != self.endpoint.url:
            raise NotFound(f"job {job_id} was made on the STAC API at {row.api}, not "
                           f"{self.endpoint.url}; connect to that one")
        return row

    def _advance(self, row: JobRow, assets: list[AssetRow]) -> tuple[JobRow, list[AssetRow]]:
        """Look at the offline assets that are due, then settle the job if it can be."""
        now = time.time()
        due = [a for a in assets if a.state == WAITING and a.next_check <= now]
        for asset in due[:LOOKS_PER_READ]:
            look = self.transfer.look(asset.asset["href"])
            self.store.set_asset(row.id, asset.seq, look.state, time.time() + look.wait,
                                 look.note)
        assets = self.store.assets(row.id)
        gone = [a for a in assets if a.state == GONE]
        if gone:
            first = gone[0]
            self.store.set_status(row.id, "failed", f"{len(gone)} of {len(assets)} files "
                                  f"cannot be fetched; first {first.asset['name']} of "
                                  f"{first.asset['execution_id']}: {first.note}")
        elif not any(a.state == WAITING for a in assets):
            self.store.set_status(row.id, "succeeded")
        return self._row(row.id), assets

    @staticmethod
    def _info(row: JobRow, assets: list[AssetRow]) -> JobInfo:
        ready = sum(1 for a in assets if a.state != WAITING)
        status = JobStatus(row.status)
        progress = 100.0 if status is JobStatus.SUCCEEDED else \
            (100.0 * ready / len(assets) if assets and status is not JobStatus.CREATED else 0.0)
        return JobInfo(id=row.id, name=row.name, service_id=row.collection,
                       service_name=row.collection, status=status, price=0.0,
                       progress=progress, created_at=_time(row.created_at),
                       started_at=_time(row.started_at), ended_at=_time(row.ended_at),
                       options=row.options, error=row.error)

    # Results

    def list_assets(self, job_id: str) -> list[Asset]:
        """One asset per chosen asset of each item; each item's are one execution."""
        self._row(job_id)
        return [Asset(**a.asset) for a in self.store.assets(job_id)]

    def open_asset(self, asset: Asset, offset: int = 0) -> ByteStream:
        """Stream the asset's href; NotReady while the provider has it offline."""
        return self.transfer.open(asset, offset)

    def stac_results(self, job_id: str) -> dict[str, Any] | None:
        """An ItemCollection of the job's items as the API returned them, with the chosen assets."""
        self._row(job_id)
        return {"type": "FeatureCollection", "features": self.store.items(job_id)}


def _order_link(document: dict[str, Any]) -> str | None:
    """The href of an item's ``order`` link (a POST that stages its offline assets), if any."""
    for link in document.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "order" \
                and isinstance(link.get("href"), str):
            return str(link["href"])
    return None


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, timezone.utc)
