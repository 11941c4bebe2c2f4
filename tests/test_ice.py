"""STUN/TURN settings: what the intake hands each peer, and aiortc's configuration from it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.settings import load_settings
from media.ice import IceServers, rtc_configuration

NOW = datetime(2026, 11, 29, 21, 0, tzinfo=UTC)


def test_settings_give_each_peer_its_own_time_limited_turn_credential() -> None:
    settings = load_settings(
        environ={
            "AUDIT_ICE_SERVERS": "stun:turn.bank.example:3478, turn:turn.bank.example:3478?transport=udp",
            "AUDIT_TURN_SECRET": "shared",
            "AUDIT_ICE_TRANSPORT_POLICY": "relay",
            "AUDIT_TURN_CREDENTIAL_MINUTES": "30",
        }
    )
    ice = IceServers.from_settings(settings)
    applicant = ice.for_peer("session-4-applicant", NOW)
    console = ice.for_peer("session-4-console", NOW)
    assert applicant["iceTransportPolicy"] == "relay"
    stun, turn = applicant["iceServers"]
    assert stun == {"urls": ["stun:turn.bank.example:3478"]}
    assert turn["urls"] == ["turn:turn.bank.example:3478?transport=udp"]
    assert turn["username"] == f"{int(NOW.timestamp()) + 1800}:session-4-applicant"
    assert console["iceServers"][1]["username"].endswith(":session-4-console")
    assert console["iceServers"][1]["credential"] != turn["credential"]

    configuration = rtc_configuration(applicant)
    assert configuration.iceTransportPolicy.value == "relay"
    assert [server.urls for server in configuration.iceServers or []] == [
        ["stun:turn.bank.example:3478"],
        ["turn:turn.bank.example:3478?transport=udp"],
    ]


def test_no_servers_by_default_and_either_side_can_insist_on_the_relay() -> None:
    ice = IceServers.from_settings(load_settings(environ={}))
    assert ice.for_peer("x", NOW) == {"iceServers": [], "iceTransportPolicy": "all"}
    assert rtc_configuration(None).iceTransportPolicy.value == "all"
    assert rtc_configuration({"iceServers": []}, policy="relay").iceTransportPolicy.value == "relay"


@pytest.mark.parametrize(
    ("servers", "policy"),
    [("http://turn.bank.example", "all"), ("stun:s:3478", "relay"), ("", "sometimes")],
)
def test_bad_ice_settings_are_refused(servers: str, policy: str) -> None:
    settings = load_settings(environ={"AUDIT_ICE_SERVERS": servers, "AUDIT_ICE_TRANSPORT_POLICY": policy})
    with pytest.raises(ValueError):
        IceServers.from_settings(settings)
