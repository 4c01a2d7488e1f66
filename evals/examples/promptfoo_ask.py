"""promptfoo's exec provider → `assistant ask --json`.

promptfoo runs ``exec:`` commands with the prompt as the first argument (and its options and
context as JSON after it); this passes the prompt alone and prints the answer's JSON, which the
config's assertions parse. ``ASSISTANT_PYTHON`` picks the interpreter with the project
installed (default: the ``assistant`` command on PATH).
"""

import os
import subprocess
import sys


def main() -> int:
    python = os.environ.get("ASSISTANT_PYTHON")
    command = [python, "-m", "assistant"] if python else ["assistant"]
    done = subprocess.run([*command, "ask", "--json", sys.argv[1]], capture_output=True, text=True)
    sys.stdout.write(done.stdout)
    if done.returncode:
        sys.stderr.write(done.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
