"""Who may change the shared gallery, in each of the three deployments."""

from __future__ import annotations

import pytest

from mmdemo.core.config import Settings
from mmdemo.core.errors import BadInputError, NotAllowedError
from mmdemo.services.access import Access

LAPTOP = {}
LAN = {"GRADIO_SERVER_NAME": "0.0.0.0"}
SPACE = {"SPACE_ID": "someone/mmdemo"}


def access(environ, **settings) -> Access:
    return Access.from_settings(Settings(**settings), environ)


def test_the_mode_follows_the_deployment():
    assert access(LAPTOP).mode == "shared" and not access(LAPTOP).public
    assert access(LAN).mode == "shared" and access(LAN).public
    assert access(SPACE).mode == "per-visitor" and access(SPACE).public
    assert access(SPACE, gallery_mode="shared").mode == "shared"
    assert access(LAPTOP, gallery_mode="per-visitor").per_visitor


def test_on_a_laptop_everything_is_allowed():
    access(LAPTOP).check_shared_change("Re-embedding")


def test_on_a_lan_without_a_password_changes_are_switched_off_with_the_remedy():
    with pytest.raises(NotAllowedError, match="MMDEMO_ADMIN_PASSWORD"):
        access(LAN).check_shared_change("Re-embedding")


def test_with_a_password_only_the_right_one_opens_it():
    guarded = access(LAN, admin_password="correct horse")
    with pytest.raises(NotAllowedError, match="admin password"):
        guarded.check_shared_change("Removing", "wrong")
    with pytest.raises(NotAllowedError):
        guarded.check_shared_change("Removing", "")
    guarded.check_shared_change("Removing", "correct horse")
    assert "correct horse" not in repr(guarded)


def test_a_login_for_the_whole_app_counts_as_the_gate():
    access(LAN, auth="alice:secret").check_shared_change("Resetting")


def test_per_visitor_the_base_needs_the_admin_password_even_with_a_login():
    with pytest.raises(NotAllowedError, match="every visitor shares"):
        access(SPACE, auth="alice:secret").check_shared_change("Resetting")
    access(SPACE, admin_password="pw").check_shared_change("Resetting", "pw")


def test_a_malformed_login_setting_fails_at_start_up_without_echoing_it():
    with pytest.raises(BadInputError) as caught:
        Settings(auth="alice-without-a-password")
    assert "alice" not in str(caught.value)
