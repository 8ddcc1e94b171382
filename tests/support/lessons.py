"""Small lessons the tests load: harmless commands, no Docker."""

from __future__ import annotations

ECHO_LESSON = """\
format_version: 1
id: echo
number: 1
title: Echo, twice
summary: Two harmless steps that print words.
variables:
  word: {default: hello}
concepts:
  - {title: Echo, text: It prints its arguments.}
steps:
  - id: first
    title: Say the word
    explanation: Print the word.
    command: FIRST_COMMAND
    hints: [Type it exactly., Really exactly.]
    checks:
      - kind: output
        contains: first
      - kind: command
        run: "true"
  - id: second
    title: Say it again
    explanation: Print it again.
    command: echo second @{word}
    checks:
      - kind: output
        contains: second
      - kind: command
        run: "true"
quiz:
  - question: What does echo do?
    choices: [Prints its arguments, Deletes files]
    answer: 1
    explanation: echo prints its arguments.
  - question: Which step printed 'second'?
    choices: [the first, the second]
    answer: 2
    explanation: The second step did.
cleanup:
  - echo cleaned
"""
