"""What the bench smoke tests share: check() records and prints a failed expectation (the test
goes on, so one run reports every problem), finish() turns the record into the exit status."""

import sys

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message, file=sys.stderr)
    return condition


def finish(what, passed_message):
    """Exits 1 naming how many checks of `what` failed, else prints passed_message."""
    if failures:
        sys.exit(f"{what}: {len(failures)} check(s) failed")
    print(passed_message)
