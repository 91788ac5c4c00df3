from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import eojobs

SCRIPT = """
import json, sys
from eojobs.plugins import backend_classes, load_plugins
classes = backend_classes()
print(json.dumps({
    "backends": sorted(classes),
    "plugins": sorted(name for name, _ in load_plugins().list_name_plugin()),
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
    assert found["backends"] == ["fusion", "mock", "openeo", "stac"]
    assert {"fusion", "mock", "openeo", "stac"} <= set(found["plugins"])


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
    from eojobs.plugins import PluginHost, PluginWarning, backend_classes, load_plugins, using

    class Broken:
        @hookimpl
        def register_backends(self, register):
            raise RuntimeError("cannot reach its licence server")

    class Nameless:
        @hookimpl
        def register_backends(self, register):
            register(object)

    host = PluginHost([("broken-hook", Broken()), ("nameless", Nameless())])
    with using(host), pytest.warns(PluginWarning) as caught:
        found = backend_classes()
    assert {"mock", "fusion"} <= set(found)
    assert "broken-hook" not in {name for name, _ in load_plugins().list_name_plugin()}, \
        "the test's plugins leaked into the process's host"
    assert sorted(str(w.message) for w in caught) == [
        "plugin 'broken-hook' failed in register_backends and is skipped: RuntimeError: "
        "cannot reach its licence server",
        "plugin 'nameless' failed in register_backends and is skipped: TypeError: "
        "<class 'object'> has no backend name",
    ]


LAZY_MODULE = '''
from eojobs_mock.backend import MockBackend


class LazyDemoBackend(MockBackend):
    name = "lazydemo"
    title = "Lazy demo platform"
'''


@pytest.fixture
def register_plugin():
    """Register pluggy plugins for one test, in a plugin host of the test's own."""
    from eojobs.plugins import PluginHost, using

    host = PluginHost()

    def register(name: str, *registrations: object) -> None:
        class Plugin:
            @eojobs.hookimpl
            def register_backends(self, register):
                for args in registrations:
                    register(*args) if isinstance(args, tuple) else register(args)

        host.load().register(Plugin(), name=name)

    with using(host):
        yield register


@pytest.fixture
def lazy_module(tmp_path, monkeypatch):
    """An importable module holding a backend class, not yet imported."""
    name = f"eojobs_lazy_demo_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(LAZY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_a_lazy_backend_is_listed_without_import_and_imported_when_used(register_plugin,
                                                                         lazy_module):
    from eojobs.plugins import backend_classes, registered_backends
    from tests.test_job import NoStopBackend

    register_plugin("lazy", ("lazydemo", f"{lazy_module}:LazyDemoBackend", "Lazy demo platform"),
                    NoStopBackend)
    entry = registered_backends()["lazydemo"]
    assert (entry.title, entry.target) == ("Lazy demo platform",
                                           f"{lazy_module}:LazyDemoBackend")
    classes = backend_classes()
    assert {"lazydemo", "nostop", "mock", "fusion"} <= set(classes)
    assert lazy_module not in sys.modules
    assert classes["nostop"] is NoStopBackend
    with eojobs.connect("lazydemo") as conn:
        assert conn.name == "lazydemo"
        assert "Elevation" in [s.name for s in conn.services()]
    assert classes["lazydemo"] is sys.modules[lazy_module].LazyDemoBackend


def test_a_backend_that_fails_to_import_is_left_out_with_a_warning(register_plugin):
    from eojobs.plugins import PluginWarning, backend_classes

    register_plugin("ghost-plugin", ("ghost", "eojobs_no_such_module:GhostBackend", "Ghost"))
    assert "ghost" in backend_classes()
    with pytest.warns(PluginWarning, match="the ghost backend cannot be loaded from "
                      "eojobs_no_such_module:GhostBackend: ModuleNotFoundError"):
        usable = dict(backend_classes().items())
    assert sorted(usable) == ["fusion", "mock", "openeo", "stac"]
    with pytest.raises(eojobs.ConfigError, match="the ghost backend cannot be loaded"):
        eojobs.connect("ghost")


GHOST_CLI = """
import eojobs
from eojobs.cli import main
from eojobs.plugins import current

class Ghost:
    @eojobs.hookimpl
    def register_backends(self, register):
        register("ghost", "eojobs_no_such_module:GhostBackend", "Ghost")

current().load().register(Ghost(), name="ghost-plugin")
main(["backends"])
"""


def test_eojobs_backends_lists_the_others_when_one_fails_to_import():
    done = subprocess.run([sys.executable, "-c", GHOST_CLI], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()[1:]] == ["fusion", "mock",
                                                                       "openeo", "stac"]
    assert done.stderr.startswith("warning: the ghost backend cannot be loaded from "
                                  "eojobs_no_such_module:GhostBackend: ModuleNotFoundError")


def test_a_lazy_target_must_be_a_class_of_the_registered_name(register_plugin):
    register_plugin("misnamed", ("other", "eojobs_mock.backend:MockBackend", "Other"),
                    ("function", "eojobs_mock.plugin:register_backends", "Not a class"))
    with pytest.raises(eojobs.ConfigError, match="eojobs_mock.backend:MockBackend is not a "
                       "backend class named 'other'"):
        eojobs.connect("other")
    with pytest.raises(eojobs.ConfigError, match="not a backend class named 'function'"):
        eojobs.connect("function")


def test_a_lazy_registration_needs_a_target_and_a_title(register_plugin):
    from eojobs.plugins import PluginWarning, backend_classes

    register_plugin("no-target", ("half",))
    register_plugin("no-title", ("untitled", "eojobs_mock.backend:MockBackend"))
    with pytest.warns(PluginWarning) as caught:
        found = backend_classes()
    assert sorted(found) == ["fusion", "mock", "openeo", "stac"]
    assert sorted(str(w.message) for w in caught) == [
        "plugin 'no-target' failed in register_backends and is skipped: TypeError: "
        "backend 'half' needs a 'module:Class' target, not None",
        "plugin 'no-title' failed in register_backends and is skipped: TypeError: "
        "backend 'untitled' needs a title",
    ]


def test_the_built_in_backends_register_lazily_with_the_titles_of_their_classes():
    from eojobs.plugins import registered_backends

    entries = registered_backends()
    for name in ("mock", "fusion", "openeo", "stac"):
        entry = entries[name]
        assert entry.backend_class is None
        loaded = entry.load()
        assert (loaded.name, loaded.title) == (name, entry.title)


@pytest.mark.parametrize("command", ["services", "jobs"])
def test_a_mock_command_imports_neither_fusion_nor_heavy_libraries(command, user_dir):
    # Settings given (the test fixture sets EOJOBS_MOCK_SPEED) are validated by pydantic:
    # this checks the default case of a fresh machine.
    env = {k: v for k, v in os.environ.items() if not k.startswith("EOJOBS_MOCK_")}
    code = ("import sys; from eojobs.cli import main\n"
            f"try:\n    main([{command!r}])\nexcept SystemExit as exit:\n    code = exit.code\n"
            "print(code, sorted(m for m in sys.modules if m.startswith("
            "('eojobs_fusion', 'requests', 'shapely', 'numpy', 'pydantic', 'pystac', "
            "'eojobs_stac.backend'))), "
            "'eojobs_mock.backend' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    last = done.stderr.strip().splitlines()[-1]
    # The fusion plugin adds the commands of Fusion's extras; its backend stays unloaded.
    assert last == ("0 ['eojobs_fusion', 'eojobs_fusion.commands', 'eojobs_fusion.plugin'] "
                    "True"), done.stderr
    if command == "services":
        assert "Elevation" in done.stdout
