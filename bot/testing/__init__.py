"""Run the bot against a local stand-in for Slack's Web API: for the tests, the
benchmarks, and trying a configuration without a workspace. Nothing here talks
to Slack.

* :class:`~.fakeslack.FakeSlack`: Slack's Web API on 127.0.0.1; it records every
  call (and every ``response_url`` post) and answers as Slack does.
* :mod:`.requests`: slash commands, clicks and events, signed as Slack signs them.
* :class:`~.harness.BotHarness`: the bot built exactly as ``hostnet-bot`` builds
  it, its WebClient pointed at the stand-in, driven by signed requests into the
  real bolt App; :class:`~.harness.Labs` opens real lab targets and records what
  ran on them.
"""
