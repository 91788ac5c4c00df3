"""The official SDK's Python API, unmodified, over more of the protocol than its quick example."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.conftest import GLASGOW
from tests.server.conftest import BIG

fusion_platform = pytest.importorskip("fusion_platform")
from fusion_platform.models.model import ModelError  # noqa: E402
from fusion_platform.session import RequestError  # noqa: E402


@pytest.fixture
def organisation(mock_server):
    user = fusion_platform.login(email=mock_server.email, password=mock_server.password,
                                 api_url=mock_server.url,
                                 session_options={"api_update_wait_period": 0.02})
    return user, next(user.organisations)


def upload(organisation, name, path):
    return organisation.create_data(name=name, file_type=fusion_platform.FILE_TYPE_GEOJSON,
                                    files=[str(path)], wait=True)


def test_user_organisation_and_credits(organisation, mock_server):
    user, org = organisation
    assert user.email == "me@org.com" and org.name == "Demo Organisation"
    assert org.credit.any_credits == Decimal(1000)
    user.update(given_name="Ada", telephone="+441234")
    assert (user.given_name, user.telephone) == ("Ada", "+441234")
    found, _ = user.find_organisations(name="demo")
    assert found.id == org.id
    with pytest.raises(RequestError, match="Incorrect username or password"):
        fusion_platform.login(email=user.email, password="Wrong-password1",
                              api_url=mock_server.url)


def test_a_grouped_run_with_options_dispatchers_logs_and_delete_expiry(organisation, tmp_path):
    _, org = organisation
    big = tmp_path / "big.geojson"
    big.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": BIG, "properties": {}}]}))
    data = upload(org, "Big region", big)
    assert org.find_data(name="Big")[0].id == data.id
    service, _ = org.find_services(name="Statistics Aggregator")
    process = org.new_process(name="Grouped", service=service)
    process.update(input_number=1, data=data)
    process.update(option_name="label", value="lake")
    process.update(option_name="budget", value=Decimal("12.50"))
    process.update(option_name="resolution", value="250", coerce_value=True)
    process.add_dispatcher(name="Email Dispatcher")
    process.update(dispatcher_number=1, option_name="emails", value="me@org.com")
    process.create()
    assert [d.name for d in process.dispatchers] == ["Email Dispatcher"]
    assert {o.name: o.value for o in process.options}["budget"] == Decimal("12.50")
    process.execute(wait=True)

    newest = next(process.executions)
    assert newest.group_id is not None and newest.group_index == newest.group_count + 1
    _, group = process.find_executions(group_id=newest.group_id)
    group = list(group)
    assert len(group) == newest.group_count + 1 and all(e.success for e in group)
    component = next(newest.components)
    assert component.name == "Statistics Aggregator"
    output = next(component.outputs)
    file = next(output.files)
    file.download(path=str(tmp_path / file.file_name), wait=True)
    rows = list(csv.DictReader((tmp_path / "statistics.csv").open()))
    assert rows[0]["label"] == "lake" and rows[-1]["slice"] == "total"
    component.download_log_file(str(tmp_path / "log.csv"))
    assert (tmp_path / "log.csv").read_text().startswith("logged_at,message\n")
    kept = datetime(2031, 1, 1, tzinfo=timezone.utc)
    newest.change_delete_expiry(kept)
    for execution in process.executions:
        assert execution.delete_expiry == kept

    copy = output.copy("Kept statistics")
    assert copy.id in [d.id for d in org.data]
    raster_item = next(next(group[0].components).outputs)
    raster = next(raster_item.files)
    copied = next(raster_item.copy("Kept raster").files)
    assert copied.file_name == raster.file_name == "land_cover.tif"
    assert copied.selectors[0]["histogram"] == raster.selectors[0]["histogram"]
    process.delete()
    data.delete()
    assert [d.name for d in org.data] == ["Kept statistics", "Kept raster"]


def test_copy_reschedule_and_stop(organisation):
    _, org = organisation
    data = upload(org, "Glasgow", GLASGOW)
    service, _ = org.find_services(keyword="ndvi")
    process = org.new_process(name="Vegetation", service=service)
    process.update(input_number=1, data=data)
    process.update(option_name="start_date", value=datetime(2024, 5, 1, tzinfo=timezone.utc))
    process.update(option_name="end_date", value=datetime(2024, 6, 1, tzinfo=timezone.utc))
    process.update(option_name="index", value="EVI")
    process.create()
    copy = process.copy("Vegetation later")
    copy.update(run_type=fusion_platform.RUN_TYPE_RUN_SCHEDULE, repeat_count=1,
                repeat_start=datetime.now(timezone.utc) + timedelta(days=1))
    copy.create()
    assert {o.name: o.value for o in copy.options}["index"] == "EVI"
    copy.execute()
    assert copy.process_status == "execute"
    with pytest.raises(ModelError):
        copy.update(name="busy")
    copy.stop()
    assert copy.process_status == "stop"
    assert list(copy.executions) == []
    copy.update(name="Vegetation stopped")
    assert copy.name == "Vegetation stopped"
    names = sorted(p.name for p in org.processes)
    assert names == ["Vegetation", "Vegetation stopped"]


def test_server_errors_reach_the_sdk_as_request_errors(organisation, mock_server):
    _, org = organisation
    data = upload(org, "Glasgow", GLASGOW)
    service, _ = org.find_services(name="Vegetation Index")
    process = org.new_process(name="No dates", service=service)
    process.update(input_number=1, data=data)
    with pytest.raises(RequestError, match="option 'start_date' is required"):
        process.create()
    mock_server.state.platform.set_credits(0)
    service, _ = org.find_services(keyword="Elevation")
    process = org.new_process(name="Poor", service=service)
    process.update(input_number=1, data=data)
    process.create()
    with pytest.raises(RequestError, match="Insufficient credits"):
        process.execute()
