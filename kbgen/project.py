"""Where a knowledge base lives: its root (the folder with mkdocs.yml) and its folders.

The CLI works from the root or any folder below it, the way git does. Settings come from the
`kbgen` entry under `plugins:` in mkdocs.yml, so the site and the command line agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .jsonio import loads
from . import yamlio
from .errors import KbgenError, ProjectNotFound

CONFIG_NAME = "mkdocs.yml"
DEFAULTS: dict[str, Any] = {
    "kb_dir": "kb",
    "gaps_dir": "gaps",
    "cache_dir": ".kbgen-cache",
}


@dataclass(frozen=True)
class Project:
    """A knowledge base on disk and the settings that locate its parts."""

    root: Path
    site_url: str = ""
    site_name: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    site_folder: str = "site"  # mkdocs.yml's site_dir and docs_dir, as written there
    docs_folder: str = "docs"
    plugin_listed: bool = True  # mkdocs.yml lists the kbgen plugin (else a build would publish no article)

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    def _dir(self, key: str) -> Path:
        return (self.root / str(self.options.get(key) or DEFAULTS[key])).resolve()

    # worked out once: a report names tens of thousands of articles' files
    @cached_property
    def kb_dir(self) -> Path:
        return self._dir("kb_dir")

    @cached_property
    def kb_rel(self) -> str:
        """kb/ as messages name it, relative to the root."""
        return self.relpath(self.kb_dir)

    @cached_property
    def gaps_dir(self) -> Path:
        return self._dir("gaps_dir")

    @cached_property
    def cache_dir(self) -> Path:
        return self._dir("cache_dir")

    @cached_property
    def site_dir(self) -> Path:
        return (self.root / self.site_folder).resolve()

    @cached_property
    def docs_dir(self) -> Path:
        return (self.root / self.docs_folder).resolve()

    def own_folders(self) -> dict[str, Path]:
        """The folders that hold the knowledge base itself, by what they are called in messages."""
        return {
            "the knowledge base": self.kb_dir,
            "the gap notes": self.gaps_dir,
            "kbgen's cache": self.cache_dir,
            "the site's docs folder": self.docs_dir,
            "the git repository": (self.root / ".git").resolve(),
        }

    def check_site_folder(self, target: Path) -> None:
        """Refuse a site folder that is, holds or sits inside the knowledge base's own folders.

        Building a site empties its folder first, so `build -d gaps` would delete every note.
        """
        target = target.resolve()
        if target == self.root or target in self.root.parents:
            raise KbgenError(
                f"{target} holds the knowledge base itself (mkdocs.yml, kb/, gaps/); building there would "
                "delete it. Give a folder of its own, like site/"
            )
        for what, folder in self.own_folders().items():
            if target == folder or folder in target.parents:
                where = f"is {what}" if target == folder else f"is inside {what} ({self.relpath(folder)}/)"
                raise KbgenError(
                    f"{self.relpath(target)}/ {where}; building there would delete its files. Give a folder "
                    "of its own, like site/"
                )
        if target.exists() and not target.is_dir():
            raise KbgenError(f"{self.relpath(target)} is a file, not a folder; give a folder for the site, like site/")
        if target.is_dir() and any(target.iterdir()) and not any((target / name).exists() for name in SITE_FILES):
            raise KbgenError(
                f"{self.relpath(target)} holds files but no built site (no index.html or sitemap.xml); building "
                "there would replace them. Give an empty or new folder, or a site built before"
            )

    def check_report_file(self, target: Path) -> None:
        """Refuse a report file that would replace a file of the knowledge base or of the built site."""
        target = target.resolve()
        if target == self.config_file.resolve():
            raise KbgenError(f"{self.relpath(target)} is the site configuration; give a new file name, like report.html")
        for what, folder in {**self.own_folders(), "the built site": self.site_dir}.items():
            if target == folder or folder in target.parents:
                where = f"is {what}" if target == folder else f"is inside {what} ({self.relpath(folder)}/)"
                raise KbgenError(f"{self.relpath(target)} {where}; write the report elsewhere, like report.html")
        if target.is_file() and target.stat().st_size:
            with target.open("rb") as handle:
                head = handle.read(512).lstrip().lower()
            if not head.startswith((b"<!doctype html", b"<html")):
                raise KbgenError(
                    f"{self.relpath(target)} exists and is not an HTML page; not overwriting it. Give a new file "
                    "name, like report.html"
                )

    def relpath(self, path: Path) -> str:
        """A path as people see it in messages: relative to the root, with forward slashes."""
        try:
            # a symbolic link is named where it is, not where it points
            resolved = path.parent.resolve() / path.name if path.is_symlink() else path.resolve()
            return resolved.relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return str(path)

    def url_for(self, path: str) -> str:
        """The public URL of a site path such as `billing/refunds/`."""
        base = self.site_url.rstrip("/")
        return f"{base}/{path}" if base else f"/{path}"

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project whose root is `start` (default: KBGEN_KB, set by `--kb`, else the current
        folder) or the nearest folder above it with mkdocs.yml."""
        chosen = os.environ.get("KBGEN_KB") if start is None else None
        if chosen:
            given = Path(chosen).expanduser()
            if not (given / CONFIG_NAME).is_file():
                raise ProjectNotFound(f"--kb / KBGEN_KB: {chosen} has no {CONFIG_NAME}; give the knowledge base's folder")
            return cls.load(given)
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_NAME).is_file():
                return cls.load(folder)
        raise ProjectNotFound(
            f"no {CONFIG_NAME} here or in any folder above {here}; "
            "run kbgen from a knowledge base, or give it with --kb DIR (or KBGEN_KB), or create one with `kbgen init`"
        )

    @classmethod
    def load(cls, root: Path) -> Project:
        """Read the site and kbgen plugin settings from ROOT/mkdocs.yml (cached while it is unchanged)."""
        root = root.resolve()
        settings = _cached_settings(root)
        if settings is None:
            config = read_mkdocs_config(root / CONFIG_NAME)
            settings = {
                "site_url": str(config.get("site_url") or ""),
                "site_name": str(config.get("site_name") or ""),
                "site_folder": str(config.get("site_dir") or "site"),
                "docs_folder": str(config.get("docs_dir") or "docs"),
                "options": plugin_options(config) or {},
                "plugin_listed": plugin_options(config) is not None,
            }
            _store_settings(root, settings)
        return cls(root=root, **settings)


SETTINGS_CACHE = "settings.json"
SITE_FILES = ("index.html", "sitemap.xml", "404.html")  # what tells a built site from other folders


def _stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_mtime_ns, info.st_size]


def _cached_settings(root: Path) -> dict[str, Any] | None:
    """The settings read from mkdocs.yml last time, if the file has not changed since.

    Agents run `kbgen ask` and `kbgen log` all day; reading JSON instead of importing YAML
    saves a quarter of their start-up.
    """
    try:
        cached = loads((root / DEFAULTS["cache_dir"] / SETTINGS_CACHE).read_text(encoding="utf-8"), limit=0)
        if cached.pop("stamp") == _stamp(root / CONFIG_NAME):
            texts = ("site_url", "site_name", "site_folder", "docs_folder")
            found = {key: cached[key] for key in (*texts, "options", "plugin_listed")}
            if (isinstance(found["options"], dict) and all(isinstance(found[key], str) for key in texts)
                    and isinstance(found["plugin_listed"], bool)):
                return found
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        pass
    return None


def _store_settings(root: Path, settings: dict[str, Any]) -> None:
    import json

    try:
        stamp = _stamp(root / CONFIG_NAME)
        folder = root / DEFAULTS["cache_dir"]
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{SETTINGS_CACHE}.{os.getpid()}"
        tmp.write_text(json.dumps({**settings, "stamp": stamp}), encoding="utf-8")
        os.replace(tmp, folder / SETTINGS_CACHE)
    except (OSError, TypeError, ValueError):
        pass  # a cache that cannot be written only costs speed


def read_mkdocs_config(path: Path) -> dict[str, Any]:
    """mkdocs.yml as a dict, tolerating the `!ENV` and `!!python/...` tags mkdocs allows."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def _ignore(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
        return None

    _Loader.add_multi_constructor("!", _ignore)
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore)
    try:
        data = yamlio.load(path.read_text(encoding="utf-8"), _Loader)
    except yamlio.YamlTooLarge as exc:
        raise KbgenError(f"the site configuration cannot be used: {exc}", path=path.name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise KbgenError(
            f"this file is not valid YAML: {getattr(exc, 'problem', None) or exc}",
            path=path.name,
            line=(mark.line + 1) if mark else 0,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KbgenError(f"cannot read the site configuration: {exc}", path=path.name) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KbgenError("the site configuration must be a mapping of settings", path=path.name)
    return data


def plugin_options(config: dict[str, Any]) -> dict[str, Any] | None:
    """The kbgen plugin's options in mkdocs.yml, checked and with defaults filled in (the same
    rules as the plugin's: `kbgen.settings`); None when mkdocs.yml does not list the plugin."""
    from . import settings

    plugins = config.get("plugins") or []
    if isinstance(plugins, dict):  # mkdocs also takes plugins as a mapping
        plugins = [{name: value} for name, value in plugins.items()]
    if not isinstance(plugins, list):
        raise KbgenError("'plugins' must be a list, with '- search' and '- kbgen' in it", path=CONFIG_NAME, key="plugins")
    for entry in plugins:
        if entry == "kbgen":
            return settings.read({}, CONFIG_NAME)
        if isinstance(entry, dict) and "kbgen" in entry:
            return settings.read(entry["kbgen"], CONFIG_NAME)
    return None
