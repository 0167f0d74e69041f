"""``GET /api/auth/client/info``: who the Basic credentials belong to (Learning Locker's route)."""

from __future__ import annotations

import falcon

from lrs.tenancy.scopes import Access


class ClientInfoResource:
    """Describe the calling client; any valid, trusted client may ask."""

    access = {"GET": Access.AUTHENTICATED}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Return ``{title, organisation, lrs_id, scopes}``."""
        client = req.context.principal.client
        resp.media = {
            "_id": client.id,
            "title": client.title,
            "organisation": client.organisation_id,
            "lrs_id": client.lrs_id,
            "scopes": list(client.scopes),
        }
