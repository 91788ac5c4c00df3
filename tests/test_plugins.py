from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, sys
from eojobs.plugins import backend_classes, pm
classes = backend_classes()
print(json.dumps({
    "backends": sorted(classes),
    "plugins": sorted(name for name, _ in pm.list_name_plugin()),
    "heavy": sorted(m for m in ("requests", "shapely", "numpy") if m in sys.modules),
}))
"""


def run(env_extra: dict[str, str]) -> dict:
    env = {**os.environ, **env_extra}
    env.pop("EOJOBS_LOAD_PLUGINS", None) if "EOJOBS_LOAD_PLUGINS" not in env_extra else None
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_installed_entry_points_load_in_a_fresh_process():
    found = run({})
    assert found["backends"] == ["fusion", "mock"]
    assert {"fusion", "mock"} <= set(found["plugins"])


def test_load_plugins_env_limits_what_loads():
    assert run({"EOJOBS_LOAD_PLUGINS": "mock"})["backends"] == ["mock"]
    assert run({"EOJOBS_LOAD_PLUGINS": ""})["backends"] == []


def test_cli_help_imports_no_heavy_modules():
    code = ("import sys; from eojobs.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('requests','shapely','numpy','pydantic','tqdm') "
            "if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stderr.strip() == "[]"
    assert "Commands:" in done.stdout and "mock" in done.stdout


def test_entry_point_reader_agrees_with_importlib_metadata():
    from importlib.metadata import entry_points as reference

    from eojobs.entrypoints import entry_points

    for group in ("eojobs", "console_scripts", "pytest11"):
        expected = sorted((ep.name, ep.value) for ep in reference(group=group))
        assert entry_points(group) == expected, group


def test_entry_point_reader_takes_the_first_distribution_of_a_name(tmp_path):
    from eojobs.entrypoints import entry_points

    for folder, target in (("a", "first:x"), ("b", "second:x")):
        info = tmp_path / folder / "demo_pkg-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "entry_points.txt").write_text(f"[eojobs]\ndemo = {target}\n")
    broken = tmp_path / "a" / "broken-1.0.dist-info"
    broken.mkdir()
    (broken / "entry_points.txt").write_text("[eojobs\nnot ini")
    found = entry_points("eojobs", [str(tmp_path / "a"), str(tmp_path / "b"), "/nonexistent"])
    assert found == [("demo", "first:x")]


def test_an_egg_info_name_is_read_whole(tmp_path):
    from eojobs.entrypoints import entry_points

    for name, target in (("tool.egg-info", "egg:x"), ("too-1.0.dist-info", "wheel:x")):
        info = tmp_path / name
        info.mkdir()
        (info / "entry_points.txt").write_text(f"[eojobs]\n{name[:4]} = {target}\n")
    assert entry_points("eojobs", [str(tmp_path)]) == [("too-", "wheel:x"), ("tool", "egg:x")]


def test_a_plugin_whose_hook_fails_is_skipped_with_a_warning():
    import pytest

    from eojobs.hookspecs import hookimpl
    from eojobs.plugins import PluginWarning, backend_classes, pm

    class Broken:
        @hookimpl
        def register_backends(self, register):
            raise RuntimeError("cannot reach its licence server")

    class Nameless:
        @hookimpl
        def register_backends(self, register):
            register(object)

    for plugin, name in ((Broken(), "broken-hook"), (Nameless(), "nameless")):
        pm.register(plugin, name=name)
    try:
        with pytest.warns(PluginWarning) as caught:
            found = backend_classes()
    finally:
        pm.unregister(name="broken-hook")
        pm.unregister(name="nameless")
    assert {"mock", "fusion"} <= set(found)
    assert sorted(str(w.message) for w in caught) == [
        "plugin 'broken-hook' failed in register_backends and is skipped: RuntimeError: "
        "cannot reach its licence server",
        "plugin 'nameless' failed in register_backends and is skipped: TypeError: "
        "<class 'object'> has no backend name",
    ]
