"""A local stand-in of LiveKit's server API (Twirp RoomService) and of its webhook sender."""

from tests.livekit_standin.server import LiveKitStandIn, send_webhook

__all__ = ["LiveKitStandIn", "send_webhook"]
