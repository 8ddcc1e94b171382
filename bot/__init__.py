"""The Slack guide bot."""
