"""Everything that talks to Jenkins: the client (plain REST, plus jenkinsapi for the admin-side reads), its typed
results and errors. (Flaky detection is pure history analysis: ``worker.analysis.flaky``.)

This package is the only code that knows Jenkins REST paths. Import what you need from here::

    from worker.jenkins import JenkinsClient, JenkinsError
"""

from worker.jenkins.client import JenkinsClient, describe_step, parse_update_center, pipeline_config_xml
from worker.jenkins.description import (
    MARK_END,
    MARK_START,
    extract_block,
    format_analysis_line,
    merge_description,
)
from worker.jenkins.errors import (
    JenkinsAuthError,
    JenkinsError,
    JenkinsNotFound,
    JenkinsTimeout,
    JenkinsUnavailable,
)
from worker.jenkins.models import (
    BuildInfo,
    BuildSummary,
    JobAction,
    JobStatus,
    NodeInfo,
    PluginAction,
    PluginDependency,
    PluginInfo,
    PluginReport,
    QueueItem,
    SecurityWarning,
    StageInfo,
    ValidationResult,
)
from worker.jenkins.urls import build_path, job_name_from_url, job_path

__all__ = [
    "MARK_END",
    "MARK_START",
    "BuildInfo",
    "BuildSummary",
    "JenkinsAuthError",
    "JenkinsClient",
    "JenkinsError",
    "JenkinsNotFound",
    "JenkinsTimeout",
    "JenkinsUnavailable",
    "JobAction",
    "JobStatus",
    "NodeInfo",
    "PluginAction",
    "PluginDependency",
    "PluginInfo",
    "PluginReport",
    "QueueItem",
    "SecurityWarning",
    "StageInfo",
    "ValidationResult",
    "build_path",
    "describe_step",
    "extract_block",
    "format_analysis_line",
    "job_name_from_url",
    "job_path",
    "merge_description",
    "parse_update_center",
    "pipeline_config_xml",
]
