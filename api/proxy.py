"""Behind a reverse proxy: which ``X-Forwarded-*`` headers to believe (``TRUSTED_PROXIES``).

A proxy hides the client: every request comes from its address, over its scheme and host. Werkzeug's
``ProxyFix`` restores them from ``X-Forwarded-For/-Proto/-Host/-Port/-Prefix``, taking the value the *n*-th
proxy from us added; a header nobody vouches for is ignored, because any client can send one (believing it
would let a client pick its own rate-limit key). So the headers count only as far as ``TRUSTED_PROXIES`` says:

- a number of hops (``1`` behind one nginx; ``2`` behind a load balancer and an ingress): each of them appends
  to ``X-Forwarded-For`` and sets the others, as nginx, Traefik, HAProxy and cloud load balancers do;
- a list of proxy addresses or networks (``10.0.0.0/8,192.168.1.7``): a request's hop count is how many
  addresses, from the peer backwards through ``X-Forwarded-For``, are in the list, so a request that reaches the
  API directly (from an address not in it) is taken as it is, headers ignored.

What depends on it: the rate limit of unauthenticated requests and analysis pages (per client address), the
access log, and links the API builds (``Location`` of 202 answers: scheme, host and prefix).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import TYPE_CHECKING, Any

from flask import Response, after_this_request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Networks = tuple[IPv4Network | IPv6Network, ...]


def _fix(app: WSGIApplication, hops: int) -> ProxyFix:
    return ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)


class TrustedNetworks:
    """ProxyFix with a hop count decided per request: how many proxies in the chain are trusted networks."""

    def __init__(self, app: WSGIApplication, networks: Networks) -> None:
        self.app, self.networks = app, networks
        self._fixes: dict[int, ProxyFix] = {}

    def _trusted(self, address: str) -> bool:
        try:
            ip = ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def hops(self, peer: str, forwarded_for: str) -> int:
        """Proxies to believe: the peer and the addresses before it in ``X-Forwarded-For``, while trusted."""
        chain = [a.strip() for a in forwarded_for.split(",") if a.strip()]
        hops = 0
        for address in _reversed_with(chain, peer):
            if not self._trusted(address):
                break
            hops += 1
        return min(hops, len(chain))  # the leftmost address is the client: no proxy stands before it

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        hops = self.hops(environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR", ""))
        if hops == 0:
            return self.app(environ, start_response)
        fix = self._fixes.get(hops)
        if fix is None:
            fix = self._fixes[hops] = _fix(self.app, hops)
        return fix(environ, start_response)


def _reversed_with(chain: list[str], peer: str) -> Iterable[str]:
    yield peer
    yield from reversed(chain)


def trust_proxies(app: WSGIApplication, setting: int | Networks) -> WSGIApplication:
    """``app`` behind the ``TRUSTED_PROXIES`` rule (``Settings.trusted_proxy_hops``); unchanged for none."""
    if isinstance(setting, int):
        return _fix(app, setting) if setting > 0 else app
    return TrustedNetworks(app, setting) if setting else app


def status_link(endpoint: str, **values: Any) -> str:
    """The status URL of a 202 answer: relative (for the body, as before), and absolute in its ``Location``
    header, built from the client's scheme, host and prefix as the trusted proxies forwarded them."""
    absolute = url_for(endpoint, _external=True, **values)

    @after_this_request
    def locate(response: Response) -> Response:
        response.headers["Location"] = absolute
        return response

    return url_for(endpoint, **values)
