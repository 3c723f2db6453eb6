"""One router per audience and resource."""
