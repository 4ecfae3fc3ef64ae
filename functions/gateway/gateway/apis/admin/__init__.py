"""Named keys: the admin API (`/admin/keys`, `/admin/usage`; operator keys only) and
`GET /v1/key`, where any key sees its own limits and usage."""

from gateway.apis.admin.routes import ROUTES

__all__ = ["ROUTES"]
