"""Disposable lab hosts for lessons that run over SSH.

``netns``: a lab made from a network namespace on this Linux machine, with its
own Docker engine and sshd (no VM needed, so it works on CI machines).
"""
