#!/usr/bin/env python3
# Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
"""Helpers of test/bench/run.sh that wrap other programs.

  measure.py wrk URL CONNECTIONS BODY_FILE SECONDS
      Runs wrk (one thread, CONNECTIONS connections, each with one POST of BODY_FILE in
      flight) for SECONDS and for twice as long, and prints one JSON line in the clients'
      format: requests, sends per second, CPU per send (user + system of the wrk process, from
      its rusage: the difference between the two runs) and peak RSS. A pair too noisy to give
      a figure is run again at twice the durations (see run_wrk).

  measure.py counts COMMAND...
      Runs COMMAND twice under `strace -f -c` and twice under valgrind, with its N argument
      (or, for wrk, its duration) as given and doubled, and prints one JSON line with the
      system calls and heap allocations per send: the difference between the two runs divided
      by the difference in sends, so that what a process does once (loading libraries,
      certificates) is not counted.
"""
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Longest a measured run may take (valgrind slows a client about fifty times): a client or
# server that hangs ends the measurement with an error instead of holding it forever.
RUN_TIMEOUT_S = 900

# How long wrk lets one request take before counting it as a socket error. Its default, 2 s,
# is less than a 10 MiB exchange can take when this shared machine stalls; the bench measures
# CPU, not latency, so only a request that never ends is an error.
WRK_REQUEST_TIMEOUT = "60s"

# Pairs of wrk runs, each twice as long as the one before, tried before a CPU figure is
# declared too noisy: at most 1 + 2 + 2 + 4 + 4 + 8 = 21 s for a one-second request.
WRK_ATTEMPTS = 3

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-placeholder-token"
local file = assert(io.open(os.getenv("CFMAIL_WRK_BODY"), "rb"))
wrk.body = file:read("*a")
file:close()
"""


SCRIPT_DIR = tempfile.mkdtemp(prefix="cfmail-bench-")
atexit.register(shutil.rmtree, SCRIPT_DIR, True)


def wrk_command(url, connections, body, seconds):
    script = os.path.join(SCRIPT_DIR, "post.lua")
    with open(script, "w") as out:
        out.write(LUA)
    env = dict(os.environ, CFMAIL_WRK_BODY=body)
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds}", f"--timeout={WRK_REQUEST_TIMEOUT}",
            "-s", script, url], env


def wrk_requests(output):
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if not found:
        raise SystemExit(f"wrk printed no request count:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", output)
    if errors:
        raise SystemExit(f"wrk saw errors:\n{output}")
    seconds = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    return int(found.group(1)), seconds


def run_wrk_once(url, connections, body, seconds):
    command, env = wrk_command(url, connections, body, seconds)
    # wrk ends itself after its duration; its own --timeout bounds each request.
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"wrk failed:\n{output}")
    requests, wall = wrk_requests(output)
    return requests, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_wrk(url, connections, body, seconds):
    """wrk's own start-up (LuaJIT, reading the body, copying it into its request) is not a
    send's cost: the CPU per send is that of a run of twice the duration minus that of the
    first, over the difference in requests. Where a send costs wrk little (a few large bodies
    a second), that difference can drown in the noise of start-up; the pair of runs is then
    repeated at twice the duration, up to WRK_ATTEMPTS times, before the measurement gives up."""
    duration = int(seconds)
    for attempt in range(WRK_ATTEMPTS):
        short = run_wrk_once(url, connections, body, duration)
        long = run_wrk_once(url, connections, body, 2 * duration)
        sends = long[0] - short[0]
        if sends > 0 and long[2] > short[2]:
            break
        print(f"wrk: a run of {2 * duration} s made {sends} more requests than one of "
              f"{duration} s with {long[2] - short[2]:.3f} s more CPU; too noisy, "
              f"{'trying runs twice as long' if attempt + 1 < WRK_ATTEMPTS else 'giving up'}",
              file=sys.stderr)
        duration *= 2
    else:
        raise SystemExit("wrk: too noisy to measure")
    print(json.dumps({"client": "wrk", "n": sends, "ok": sends, "seconds": long[1] - short[1],
                      "sends_per_s": long[0] / long[1], "cpu_s": long[2] - short[2],
                      "peak_rss_mib": max(short[3], long[3])}))


def scaled(command, factor):
    """COMMAND with its size doubled: a client's N (third argument after `client`), or wrk's
    duration."""
    if command[0] == "wrk":
        url, connections, body, seconds = command[1:5]
        return wrk_command(url, connections, body, int(seconds) * factor)
    out = list(command)
    out[3] = str(int(out[3]) * factor)
    return out, dict(os.environ)


def sends(command, output):
    if command[0] == "wrk":
        return wrk_requests(output)[0]
    return json.loads(output.strip().splitlines()[-1])["n"]


def run_measured(args, **options):
    """subprocess.run for a measured run: a hang or a failure ends the bench with one line
    that names the command, instead of a traceback."""
    try:
        return subprocess.run(args, check=True, timeout=RUN_TIMEOUT_S, **options)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"did not finish within {RUN_TIMEOUT_S} s (a hang?): {' '.join(args)}")
    except subprocess.CalledProcessError as failure:
        raise SystemExit(f"exit status {failure.returncode}: {' '.join(args)}")


def syscalls(command, env):
    with tempfile.NamedTemporaryFile("r") as report:
        output = run_measured(["strace", "-f", "-c", "-o", report.name] + command, env=env,
                              stdout=subprocess.PIPE, text=True).stdout
        text = report.read()
        # The summary's last line: "100.00  seconds  usecs/call  calls  [errors]  total".
        total = re.search(r"^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total\s*$", text, re.M)
        if not total:
            raise SystemExit(f"strace printed no total:\n{text}")
        return int(total.group(1)), sends(command, output)


def allocations(command, env):
    result = run_measured(["valgrind", "--tool=memcheck", "--leak-check=no",
                           "--trace-children=no"] + command, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found = re.search(r"total heap usage: ([\d,]+) allocs", result.stderr)
    if not found:
        raise SystemExit(f"valgrind printed no heap summary:\n{result.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")), sends(command, result.stdout)


def counts(command):
    figures = {}
    for name, measure in (("syscalls", syscalls), ("allocations", allocations)):
        (small, small_sends), (large, large_sends) = (measure(*scaled(command, factor))
                                                      for factor in (1, 2))
        if large_sends <= small_sends or large < small:
            raise SystemExit(f"{name}: {large_sends - small_sends} more sends made "
                             f"{large - small} more; too noisy to measure")
        figures[name] = (large - small) / (large_sends - small_sends)
    print(json.dumps(figures))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "wrk":
        run_wrk(*sys.argv[2:6])
    elif len(sys.argv) > 2 and sys.argv[1] == "counts":
        counts(sys.argv[2:])
    else:
        sys.exit(__doc__)
