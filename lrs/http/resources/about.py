"""``GET /data/xAPI/about``: the xAPI versions this LRS speaks (no authentication)."""

from __future__ import annotations

import falcon

from lrs.xapi.versions import SUPPORTED_VERSIONS


class AboutResource:
    """The xAPI About resource."""

    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Return the supported versions and no extensions."""
        resp.media = {"version": [v.name for v in SUPPORTED_VERSIONS], "extensions": {}}
