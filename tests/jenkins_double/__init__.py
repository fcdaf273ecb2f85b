"""A Jenkins test double that replays recorded Jenkins responses over real HTTP (see ``server.py``)."""

from tests.jenkins_double.server import JenkinsDouble, validate_declarative

__all__ = ["JenkinsDouble", "validate_declarative"]
