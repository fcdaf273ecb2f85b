"""Plugins: the inventory (jenkinsapi), updates and security warnings from the update site, installs."""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from worker.jenkins._core import ClientCore
from worker.jenkins._idempotency import run_once
from worker.jenkins.errors import JenkinsError, JenkinsNotFound
from worker.jenkins.jenkinsapi_bridge import TreePlugins
from worker.jenkins.models import TREES, PluginAction, PluginInfo, PluginReport, SecurityWarning
from worker.jenkins.transport import RETRY_STATUSES

log = logging.getLogger(__name__)


class PluginsMixin(ClientCore):
    """Installed plugins, their updates and warnings, and installing one."""

    def plugins(self) -> list[PluginInfo]:
        """Installed plugins with versions, enabled/active, update flags and dependencies (one GET, through
        jenkinsapi's ``Plugins`` polled with ``tree=``)."""
        inventory = TreePlugins(f"{self.api.baseurl}/pluginManager/api/python", self.api)
        return sorted(
            (PluginInfo.from_api(vars(p)) for p in inventory.values()), key=lambda p: p.short_name.lower()
        )

    def plugin_updates(self) -> list[PluginInfo]:
        """Installed plugins with an update available, each with the version it would update to (two GETs)."""
        return self._with_updates(self.plugins())

    def security_warnings(self) -> list[SecurityWarning]:
        """Published security warnings that apply to the installed plugins or the core version (4 GETs).

        Jenkins does not export its ``UpdateSiteWarningsMonitor`` over REST, so we do what it does: read the
        ``warnings`` of the update site Jenkins is configured with (``updateCenter/site/default`` gives its
        URL, so a mirror is honoured) and match each warning's version patterns against what is installed.
        """
        return self._warnings(self.plugins(), self.version())

    def plugin_report(self) -> PluginReport:
        """Plugins, updates and applicable security warnings together, reading each source once (5 GETs)."""
        plugins = self.plugins()
        core = self.version()
        return PluginReport(
            plugins=plugins,
            updates=self._with_updates(plugins),
            warnings=self._warnings(plugins, core),
            core_version=core,
        )

    def _with_updates(self, plugins: list[PluginInfo]) -> list[PluginInfo]:
        outdated = [p.model_copy() for p in plugins if p.has_update]
        if not outdated:
            return []
        latest = {u["name"]: str(u.get("version")) for u in self._update_site().get("updates") or []}
        for plugin in outdated:
            plugin.update_version = latest.get(plugin.short_name)
        return outdated

    def _warnings(self, plugins: list[PluginInfo], core: str | None) -> list[SecurityWarning]:
        site = self.http.get_json("updateCenter/site/default", TREES["update_site_url"])
        warnings = self._fetch_update_center(str(site["url"])).get("warnings") or []
        installed = {p.short_name: p.version for p in plugins}
        applicable: list[SecurityWarning] = []
        for w in warnings:
            kind = w.get("type")
            version = core if kind == "core" else installed.get(str(w.get("name")))
            if version is None or kind not in {"plugin", "core"}:
                continue
            if any(_version_matches(v.get("pattern"), version) for v in w.get("versions") or []):
                applicable.append(
                    SecurityWarning(
                        id=str(w.get("id")),
                        type=kind,
                        name=str(w.get("name")),
                        message=str(w.get("message") or ""),
                        url=w.get("url"),
                        installed_version=version,
                    )
                )
        return applicable

    def install_plugin(self, name: str, *, confirm: bool = False) -> PluginAction:
        """Install or upgrade plugin ``name`` (``"git"``, or ``"git@5.2.1"`` to insist on a version) to the
        version the update site offers.

        A dry run unless ``confirm=True``: it reports what would be done (install/upgrade/none, versions,
        missing dependencies) and changes nothing. With ``confirm`` it posts
        ``pluginManager/installNecessaryPlugins``; Jenkins downloads the plugin and its dependencies itself
        (some need a restart to take effect). Jenkins can only install what its update site offers, so a
        pinned version that differs from the offered one is refused rather than silently replaced. Once per
        task inside an idempotency scope (a rerun after a crash mid-way reads the installed plugins again first).
        """
        if not confirm:
            return self._install(name, confirm=False)
        return run_once(
            self._scope, "install", name, lambda: self._install(name, confirm=True),
            dump=lambda a: a.model_dump(mode="json"), load=PluginAction.model_validate,
        )  # fmt: skip

    def _install(self, name: str, *, confirm: bool) -> PluginAction:
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9][A-Za-z0-9._-]*))?", name or "")
        if not match:
            raise ValueError(f"name: {name!r} is not a plugin short name such as 'git' or 'git@5.2.1'")
        name, pinned = match.group(1), match.group(2)
        installed = {p.short_name: p for p in self.plugins()}
        site = self._update_site()
        entries = {e["name"]: e for e in (site.get("availables") or []) + (site.get("updates") or [])}
        current = installed.get(name)
        entry = entries.get(name)
        if entry is None and current is None:
            raise JenkinsNotFound(f"plugin {name!r} is neither installed nor offered by the update site")
        target = str(entry["version"]) if entry else None
        if pinned and pinned not in {target, current.version if current else None}:
            raise ValueError(
                f"name: the update site offers {name} {target or '(nothing newer)'}, not {pinned}; "
                "Jenkins installs only what its update site offers"
            )
        if current is not None and (entry is None or not current.has_update or pinned == current.version):
            return PluginAction(
                plugin=name,
                action="none",
                dry_run=not confirm,
                current_version=current.version,
                target_version=current.version,
                message=f"{name} {current.version} is installed and up to date",
            )
        action: Literal["install", "upgrade"] = "upgrade" if current is not None else "install"
        missing = sorted(dep for dep in (entry or {}).get("dependencies") or {} if dep not in installed)
        plan = PluginAction(
            plugin=name,
            action=action,
            dry_run=True,
            current_version=current.version if current else None,
            target_version=target,
            missing_dependencies=missing,
            message=f"dry run: would {action} {name} {target}; pass confirm=True to do it",
        )
        if not confirm:
            return plan
        body = ET.Element("jenkins")
        ET.SubElement(body, "install", plugin=f"{name}@{target or 'latest'}")
        self.http.post(
            "pluginManager/installNecessaryPlugins",
            data=ET.tostring(body, encoding="utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        return plan.model_copy(
            update={
                "dry_run": False,
                "message": f"Jenkins is installing {name} {target}; check updateCenter/installStatus",
            }
        )

    def _update_site(self) -> dict[str, Any]:
        data = self.http.get_json("updateCenter/site/default", TREES["update_site"])
        return data if isinstance(data, dict) else {}

    def _fetch_update_center(self, url: str) -> dict[str, Any]:
        """Download update-center JSON; our Jenkins credentials go only to Jenkins itself, never elsewhere."""
        if urlsplit(url).netloc == urlsplit(self.base_url).netloc:
            response = self.http.request("GET", url)
        else:
            if self._public is None:
                from requests.adapters import HTTPAdapter
                from urllib3.util.retry import Retry

                self._public = requests.Session()
                retry = Retry(
                    total=self._retries, backoff_factor=self._backoff, status_forcelist=RETRY_STATUSES
                )
                self._public.mount("https://", HTTPAdapter(max_retries=retry))
                self._public.mount("http://", HTTPAdapter(max_retries=retry))
            try:
                response = self._public.get(url, timeout=self.http.timeout)
                response.raise_for_status()
            except requests.RequestException as exc:
                raise JenkinsError(
                    f"cannot read the update site {url}: {exc.__class__.__name__}", url=url
                ) from exc
        return parse_update_center(response.text)


def parse_update_center(text: str) -> dict[str, Any]:
    """Decode update-center JSON, plain (``update-center.actual.json``) or JSONP
    (``updateCenter.post({...});``)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise JenkinsError("the update site did not return update-center JSON")
    data = json.loads(text[start : end + 1])
    if not isinstance(data, dict):
        raise JenkinsError("the update site did not return a JSON object")
    return data


def _version_matches(pattern: Any, version: str) -> bool:
    """Jenkins matches a warning's version ``pattern`` (a Java regex) against the whole installed version."""
    if not isinstance(pattern, str):
        return False
    try:
        return re.fullmatch(pattern, version) is not None
    except re.error:
        log.warning("unusable version pattern in update-site warning: %r", pattern)
        return False
