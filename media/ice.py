"""STUN/TURN servers for both peers of a call: read from the settings, handed out by the intake
service per session (TURN credentials are time-limited, coturn's REST scheme), and turned into
aiortc's configuration on the console and the simulator.

The configuration travels as the browser's own shape: ``{"iceServers": [{"urls": [...],
"username": ..., "credential": ...}], "iceTransportPolicy": "all" | "relay"}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from app.console_access import turn_credential

if TYPE_CHECKING:
    from aiortc import RTCConfiguration

    from app.settings import Settings

POLICIES = ("all", "relay")


@dataclass(frozen=True)
class IceServers:
    urls: tuple[str, ...] = ()
    turn_secret: str = ""
    transport_policy: str = "all"
    credential_lifetime: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.transport_policy not in POLICIES:
            raise ValueError(f"ice_transport_policy must be 'all' or 'relay', not {self.transport_policy!r}")
        for url in self.urls:
            if not url.startswith(("stun:", "turn:", "turns:")):
                raise ValueError(f"ice_servers: {url!r} is not a stun:, turn: or turns: URL")
        if self.transport_policy == "relay" and not self.turn_urls:
            raise ValueError("ice_transport_policy 'relay' needs a turn: server in ice_servers")

    @classmethod
    def from_settings(cls, settings: Settings) -> IceServers:
        urls = tuple(part.strip() for part in settings.ice_servers.split(",") if part.strip())
        return cls(
            urls,
            settings.turn_secret,
            settings.ice_transport_policy.strip().lower(),
            timedelta(minutes=settings.turn_credential_minutes),
        )

    @property
    def stun_urls(self) -> tuple[str, ...]:
        return tuple(url for url in self.urls if url.startswith("stun:"))

    @property
    def turn_urls(self) -> tuple[str, ...]:
        return tuple(url for url in self.urls if url.startswith(("turn:", "turns:")))

    def for_peer(self, who: str, now: datetime) -> dict[str, Any]:
        """The configuration for one peer of one session; `who` names it in the TURN username
        (coturn logs it), e.g. "session-12-applicant"."""
        servers: list[dict[str, Any]] = []
        if self.stun_urls:
            servers.append({"urls": list(self.stun_urls)})
        if self.turn_urls:
            turn: dict[str, Any] = {"urls": list(self.turn_urls)}
            if self.turn_secret:
                credential = turn_credential(self.turn_secret, who, now, self.credential_lifetime)
                turn |= {"username": credential.username, "credential": credential.password}
            servers.append(turn)
        return {"iceServers": servers, "iceTransportPolicy": self.transport_policy}


def rtc_configuration(config: dict[str, Any] | None, *, policy: str = "all") -> RTCConfiguration:
    """aiortc's configuration from the browser-shaped one. aiortc uses the first STUN and the
    first TURN server only. The relay policy applies when either side asks for it."""
    from aiortc import RTCConfiguration, RTCIceServer
    from aiortc.rtcconfiguration import RTCIceTransportPolicy

    servers = []
    for entry in (config or {}).get("iceServers", []):
        urls = entry.get("urls", [])
        urls = [urls] if isinstance(urls, str) else list(urls)
        if urls:
            servers.append(RTCIceServer(urls, entry.get("username"), entry.get("credential")))
    relay = policy == "relay" or (config or {}).get("iceTransportPolicy") == "relay"
    return RTCConfiguration(
        iceServers=servers,
        iceTransportPolicy=RTCIceTransportPolicy.RELAY if relay else RTCIceTransportPolicy.ALL,
    )
