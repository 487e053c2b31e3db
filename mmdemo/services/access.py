"""Who may change what: the gallery ownership rules of the three deployments.

- A laptop (the server answers on loopback only): one shared gallery, everyone may do
  everything - the person at the keyboard owns the machine.
- A LAN demo (``GRADIO_SERVER_NAME=0.0.0.0``) or any server reachable from other machines:
  anyone may add images to a shared gallery (that is what "shared" means), but re-embedding,
  captioning all, removing and resetting it need ``MMDEMO_ADMIN_PASSWORD`` - or a login for
  the whole app (``MMDEMO_AUTH``); with neither, they are refused.
- A public Space (``per-visitor``, the default where ``SPACE_ID`` is set): the default
  gallery is a read-only base; each visitor changes only their own overlay, and changing
  the base needs the admin password.

Passwords are compared in constant time and never logged. The threat model is
docs/security.md.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from mmdemo.core.config import Settings, parse_auth
from mmdemo.core.errors import NotAllowedError

LOOPBACK = frozenset({"", "127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Access:
    mode: str  # "shared" or "per-visitor"
    public: bool  # reachable from other machines (a LAN, a Space)
    login: bool  # the whole app is behind a login (MMDEMO_AUTH)
    admin_password: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None):
        environ = os.environ if environ is None else environ
        host = environ.get("GRADIO_SERVER_NAME", "").strip().lower()
        return cls(
            mode=settings.resolved_gallery_mode(environ),
            public=bool(environ.get("SPACE_ID")) or host not in LOOPBACK,
            login=bool(parse_auth(settings.auth)),
            admin_password=settings.admin_password or None,
        )

    @property
    def per_visitor(self) -> bool:
        return self.mode == "per-visitor"

    def is_admin(self, password: str | None) -> bool:
        if not self.admin_password:
            return False
        return hmac.compare_digest(str(password or "").encode(), self.admin_password.encode())

    def check_shared_change(self, action: str, password: str | None = None) -> None:
        """Refuse ``action`` on the shared gallery unless this visitor may do it here."""
        if self.is_admin(password):
            return
        if self.per_visitor:
            raise NotAllowedError(
                f"{action} changes the gallery every visitor shares, so it needs the admin "
                "password. Your own uploads you can remove or reset yourself."
            )
        if not self.public or self.login:
            return
        if self.admin_password:
            raise NotAllowedError(
                f"{action} changes the shared gallery: type the admin password (in the API, "
                "the last input) to do it."
            )
        raise NotAllowedError(
            f"{action} is switched off on this server: it can be reached from other "
            "machines and no admin password is set. Its owner can set MMDEMO_ADMIN_PASSWORD "
            "(or MMDEMO_AUTH for a login)."
        )
