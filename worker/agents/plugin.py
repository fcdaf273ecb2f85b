"""Plugin manager: inventory, updates, security warnings, install behind confirmation."""

from __future__ import annotations

import re

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from worker.agents.tools import Prefetch, Specialist, ToolContext, bound

PLUGIN_FIELD = "Plugin short name as the update site lists it, e.g. 'git', 'docker-workflow', 'matrix-auth'."


class ListArgs(BaseModel):
    name_contains: str | None = Field(
        None, description="Only plugins whose short or display name contains this text; omit for all."
    )


class NoArgs(BaseModel):
    pass


class InstallArgs(BaseModel):
    name: str = Field(description=PLUGIN_FIELD)


def make_tools(ctx: ToolContext) -> list[BaseTool]:
    def list_plugins(name_contains: str | None = None) -> str:
        plugins = ctx.jenkins().plugins()
        needle = (name_contains or "").lower()
        chosen = [
            p for p in plugins if needle in p.short_name.lower() or needle in (p.long_name or "").lower()
        ]
        ctx.artifacts["plugins"] = [p.model_dump(mode="json", exclude={"dependencies"}) for p in chosen]
        if needle and not chosen:
            return f"No installed plugin matches '{name_contains}' ({len(plugins)} plugins installed)."
        inactive = [p.short_name for p in chosen if not (p.active and p.enabled)]
        outdated = sum(1 for p in chosen if p.has_update)
        head = (
            f"{len(chosen)} plugin(s)"
            + (f" matching '{name_contains}'" if needle else " installed")
            + f", {outdated} with an update available"
            + (f", inactive or disabled: {', '.join(inactive)}" if inactive else "")
            + ":"
        )
        rows = [
            f"  {p.short_name} {p.version}"
            + (" (update available)" if p.has_update else "")
            + ("" if p.active and p.enabled else " (disabled)")
            for p in chosen[:60]
        ]
        if len(chosen) > 60:
            rows.append(f"  ... and {len(chosen) - 60} more")
        return bound("\n".join([head, *rows]))

    def plugin_updates() -> str:
        outdated = ctx.jenkins().plugin_updates()
        ctx.artifacts["updates"] = [p.model_dump(mode="json", exclude={"dependencies"}) for p in outdated]
        if not outdated:
            return "All installed plugins are up to date."
        rows = [f"  {p.short_name}: {p.version} -> {p.update_version or 'newer version'}" for p in outdated]
        return bound("\n".join([f"{len(outdated)} plugin(s) have updates:", *rows]))

    def security_warnings() -> str:
        warnings = ctx.jenkins().security_warnings()
        ctx.artifacts["security_warnings"] = [w.model_dump(mode="json") for w in warnings]
        if not warnings:
            return "No published security warning applies to the installed plugins or the core."
        rows = [
            f"  {w.name} {w.installed_version}: {w.message} ({w.id})" + (f" {w.url}" if w.url else "")
            for w in warnings
        ]
        return bound("\n".join([f"{len(warnings)} security warning(s) apply:", *rows]))

    def install_plugin(name: str) -> str:
        args = {"name": name}
        if already := ctx.gate_done("install_plugin", name):
            return already
        jenkins = ctx.jenkins()
        preview = jenkins.install_plugin(name, confirm=False)  # a dry run: versions and dependencies
        if preview.action == "none":
            return f"{name} {preview.current_version} is already installed and up to date; nothing to do."
        missing = (
            f", with missing dependencies {', '.join(preview.missing_dependencies)}"
            if preview.missing_dependencies
            else ""
        )
        sentence = (
            f"{preview.action} the plugin {name} {preview.target_version or ''}".rstrip()
            + (f" (from {preview.current_version})" if preview.current_version else "")
            + missing
        )
        held = ctx.gate(
            "install_plugin",
            args,
            sentence,
            action=preview.action,
            target=name,
            current_version=preview.current_version,
            target_version=preview.target_version,
        )
        if held is not None:
            return held
        action = jenkins.install_plugin(name, confirm=True)
        detail = action.message + (
            f"; missing dependencies: {', '.join(action.missing_dependencies)}"
            if action.missing_dependencies
            else ""
        )
        ctx.record(
            action.action,
            name,
            done=not action.dry_run,
            detail=detail,
            current_version=action.current_version,
            target_version=action.target_version,
        )
        return ctx.did(
            "install_plugin",
            name,
            f"Jenkins is installing {name} {action.target_version or ''}: {action.message}".strip(),
        )

    return [
        StructuredTool.from_function(
            list_plugins,
            name="list_plugins",
            args_schema=ListArgs,
            description="Installed Jenkins plugins with versions, update flags and whether they are enabled.",
        ),
        StructuredTool.from_function(
            plugin_updates,
            name="plugin_updates",
            args_schema=NoArgs,
            description="Installed plugins that have a newer version, with the version they would update to.",
        ),
        StructuredTool.from_function(
            security_warnings,
            name="security_warnings",
            args_schema=NoArgs,
            description="Published security warnings (CVEs/advisories) that apply to the installed plugins.",
        ),
        StructuredTool.from_function(
            install_plugin,
            name="install_plugin",
            args_schema=InstallArgs,
            description="Install or upgrade a plugin. Changes Jenkins: without the user's confirmation it only "
            "plans the install (versions, missing dependencies; the user confirms it with a token).",
        ),
    ]


_SECURITY = re.compile(r"\b(security|secur|vulnerab\w*|cves?|advisor\w*|warnings?|risk)\b", re.I)
_UPDATES = re.compile(r"\b(updates?|outdated|out of date|up to date|newer|upgrades?|pending)\b", re.I)
_INSTALL = re.compile(
    r"\b(?:install|add|upgrade|update)\s+(?:the\s+)?(?:plugin\s+)?['\"`]?([a-z0-9][a-z0-9._-]*)['\"`]?", re.I
)
_NAMED = re.compile(r"\b(?:the\s+)?['\"`]?([a-z0-9][a-z0-9._-]*)['\"`]?\s+plugin\b", re.I)
_VERSION_OF = re.compile(r"\bversion of (?:the\s+)?([a-z0-9][a-z0-9._-]*)", re.I)
_NOT_PLUGINS = frozenset(
    [
        "all",
        "any",
        "every",
        "the",
        "a",
        "our",
        "my",
        "plugin",
        "plugins",
        "jenkins",
        "some",
        "which",
        "what",
        "is",
        "are",
        "do",
        "have",
        "of",
        "to",
        "latest",
        "newest",
        "this",
        "that",
        "it",
        "them",
    ]
)


def _plugin_name(text: str) -> str | None:
    for pattern in (_INSTALL, _NAMED, _VERSION_OF):
        for match in pattern.finditer(text):
            name = match.group(1).lower()
            if name not in _NOT_PLUGINS:
                return name
    return None


def offline(ctx: ToolContext, text: str) -> str:
    """Answer a plugin request without an LLM."""
    name = ctx.context.get("plugin") or _plugin_name(text)
    if re.search(r"\b(install|add|upgrade|update)\b", text, re.I) and name and not _SECURITY.search(text):
        return ctx.call("install_plugin", name=str(name))[1]
    if _SECURITY.search(text):
        return ctx.call("security_warnings")[1]
    if _UPDATES.search(text) and not name:
        return ctx.call("plugin_updates")[1]
    return ctx.call("list_plugins", name_contains=name)[1]


def prefetch(ctx: ToolContext, text: str) -> Prefetch:
    """The inventory facts a plugin question needs (never an install: that is the model's call, gated)."""
    name = ctx.context.get("plugin") or _plugin_name(text)
    if _SECURITY.search(text):
        return [("security_warnings", {})]
    if re.search(r"\b(install|add|upgrade|update)\b", text, re.I) and name:
        return []
    if _UPDATES.search(text) and not name:
        return [("plugin_updates", {})]
    return [("list_plugins", {"name_contains": name})]


SPECIALIST = Specialist(
    name="plugin",
    description="plugin inventory, updates, security warnings, install behind confirmation",
    system_prompt=(
        "You manage Jenkins plugins: the inventory, available updates, security warnings and installing or "
        "upgrading plugins. Use the tools and report their facts (names, versions, warning ids). Installing "
        "changes Jenkins: call install_plugin once; without the user's confirmation it only plans the install "
        "and you say in one sentence what would be installed."
    ),
    make_tools=make_tools,
    offline=offline,
    prefetch=prefetch,
)
