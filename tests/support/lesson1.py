"""Lesson 1 through the bot: click through every step, then check each result."""

from __future__ import annotations

from hostnet.bot.testing.requests import ALICE
from hostnet.engine.loader import find_lesson

STEPS = {  # step id: (in its output, one of its checks)
    "run": ("--name my_nginx", "✓ container my_nginx is running on the host network"),
    "curl": ("Welcome to nginx!", "✓ the command's stdout contains 'Welcome to nginx!'"),
    "interfaces": ("1: lo: <LOOPBACK", "✓ no interface added or removed since the lesson began"),
    "netstat": ("nginx", "✓ TCP port 80 is listening, owned by nginx"),
    "stop": ("\nmy_nginx", "✓ no container named my_nginx"),
}


def walk_lesson_1(bot, fake_slack, after_step=None) -> list[str]:  # type: ignore[no-untyped-def]
    """Start lesson 1 by slash command, click Run on every step; the result texts."""
    bot.slash(ALICE, "start 1")
    thread = bot.thread_of(ALICE)
    assert (
        "Lesson 1: Networking using the host network" in fake_slack.posts(top_level=True)[0].text()
    )
    results = []
    for number, step in enumerate(STEPS, start=1):
        message = _runnable_step(bot, fake_slack, thread, step)
        assert f"Step {number} of 5" in message.text(), fake_slack.dump()
        before = len(fake_slack.posts(thread_ts=thread))
        bot.click(ALICE, message, "hostnet.run")
        [result] = [
            c
            for c in fake_slack.posts(thread_ts=thread)[before:]
            if "passed* on" in c.text() or "failed* on" in c.text()
        ]
        assert result.args["thread_ts"] == thread
        results.append(result.text())
        assert f"✓ *Step {number} passed*" in result.text(), result.text()
        if after_step is not None:
            after_step(step)
    quiz = find_lesson("1").quiz  # the knowledge check, if the lesson has one
    for index, question in enumerate(quiz, start=1):
        message = fake_slack.last_with(f"hostnet.quiz.{question.answer}", thread)
        assert f"Knowledge check {index} of {len(quiz)}" in message.text()
        bot.click(ALICE, message, f"hostnet.quiz.{question.answer}")
    summary = fake_slack.posts(thread_ts=thread)[-1].text()
    assert "Lesson 1 done: Networking using the host network" in summary
    assert "Steps verified: 5 of 5" in summary
    if quiz:
        assert f"Knowledge check: {len(quiz)} of {len(quiz)} right" in summary
    assert "given back" in summary
    assert all(c.args.get("thread_ts") == thread for c in fake_slack.posts()[1:])
    return results


def _runnable_step(bot, fake_slack, thread: str, step: str):  # type: ignore[no-untyped-def]
    """The step's message with its Run button: a step that asks for a prediction
    shows Run only once the (right) prediction is made."""
    predict = find_lesson("1").step(step).predict
    if predict is None:
        return bot.step_message(ALICE)
    asking = fake_slack.last_with(f"hostnet.predict.{predict.answer}", thread)
    bot.click(ALICE, asking, f"hostnet.predict.{predict.answer}")
    updated = [c for c in fake_slack.of("chat.update") if c.args["ts"] == asking.ts][-1]
    return updated.__class__(updated.method, updated.args, asking.ts)


def check_results(results: list[str], container: str = "my_nginx") -> None:
    for text, (step, (output, check)) in zip(results, STEPS.items(), strict=True):
        output, check = output.replace("my_nginx", container), check.replace("my_nginx", container)
        assert output in text, f"{step}: {text}"
        assert check in text, f"{step}: {text}"
        assert "✗" not in text, f"{step}: {text}"
