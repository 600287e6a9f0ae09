#!/usr/bin/env python3
"""Runs one Python snippet given as argv[1] (tests pass small pyca/cryptography checks this way)."""
import sys

exec(compile(sys.argv[1], "<hsm-test>", "exec"))
