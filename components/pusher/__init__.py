"""Pusher component: deliver a blessed model to `<destination>/<version>/`."""

from tfxkit.components.pusher.component import Pusher

__all__ = ["Pusher"]
