"""A local stand-in of LiveKit's server API (Twirp RoomService) and of its webhook sender.

May import: the stdlib, httpx and livekit-api's protocol messages and webhook signing; nothing of
the application: it plays LiveKit for tests/integration/integrations/.
"""

from tests.livekit_standin.server import LiveKitStandIn, send_webhook

__all__ = ["LiveKitStandIn", "send_webhook"]
