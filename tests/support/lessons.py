"""Small lessons the tests load: harmless commands, no Docker."""

from __future__ import annotations

import shutil
from pathlib import Path

from hostnet.engine.lessonfiles import lesson_files


def copy_of_shipped_lessons(folder: Path, count: int = 3) -> Path:
    """``folder`` (made) holding copies of the first ``count`` shipped lessons."""
    folder.mkdir()
    for path in lesson_files()[:count]:
        shutil.copy(path, folder / path.name)
    return folder


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


# Every teaching power of the lesson format at once, on the real engine: a
# starting state (setup/cleanup), a prediction, a challenge with layered hints,
# namespace evidence, checks from outside and the network map. CHALLENGE is the
# challenge step's command (a test replaces it with `true`).
EVERY_FIELD_LESSON = """\
format_version: 1
id: every-field
number: 91
title: Every teaching power at once
summary: From nginx published on 127.0.0.1 only to nginx on the host's network.
variables:
  image: {default: nginx}
  probe_image: {default: busybox}
  name: {default: hn_every}
setup:
  - docker run -d --name @{name}_start -p 127.0.0.1:8091:80 @{image}
steps:
  - id: look
    title: The starting nginx
    explanation: Setup published nginx on 127.0.0.1:8091. Fetch its page.
    command: curl -s http://127.0.0.1:8091/
    predict:
      question: Does a machine beside this host reach port 8091 on the host's address?
      choices: ["yes", "no"]
      answer: 2
      explanation: The port is published on 127.0.0.1 only.
    checks:
      - kind: output
        contains: Welcome to nginx
      - kind: http
        url: http://127.0.0.1:8091/
      - kind: port
        port: 8091
        from: outside
        listening: false
  - id: move
    title: Serve it on the host's network
    explanation: >-
      Replace @{name}_start by a container named @{name} on the host's network,
      so that nginx answers on port 80 of the host's address, from outside too.
    command: CHALLENGE
    challenge: true
    map: true
    hints:
      - Remove the starting container first; the new one joins the host's network.
      - The option is --network host, and the name is @{name}.
    checks:
      - kind: container
        name: "@{name}_start"
        state: absent
      - kind: namespace
        container: "@{name}"
        namespace: net
        shared_with_host: true
      - kind: namespace
        container: "@{name}"
        namespace: uts
        shared_with_host: false
      - kind: http
        url: http://@{host_address}:80/
        from: outside
        contains: Welcome to nginx
  - id: stop
    title: Stop it
    explanation: Stop the container.
    command: docker container stop @{name}
    checks:
      - kind: container
        name: "@{name}"
        state: absent
quiz:
  - question: Why does nginx answer from outside in the end?
    choices: [It shares the host's network namespace, It was published with -p]
    answer: 1
    explanation: A host-network container's sockets are the host's.
  - question: Which namespace stayed its own?
    choices: [net, uts]
    answer: 2
    explanation: Only the network namespace is shared.
cleanup:
  - docker rm -f @{name}_start @{name}
"""

EVERY_FIELD_SOLUTION = (
    "docker rm -f @{name}_start && docker run --rm -d --network host --name @{name} @{image}"
)
