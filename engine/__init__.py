"""The shared engine of docker-hostnet: lessons, checks, targets, lesson sessions, progress.

Nothing here knows about terminals or Slack: a lesson session emits plain event
objects (``hostnet.engine.events``) that the front ends render.
"""

__version__ = "0.1.0"
