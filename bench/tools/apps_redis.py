"""The server app of //bench:apps: redis-server (preloaded; the program under test) on a free
127.0.0.1 port with persistence off, driven by redis-benchmark (requests/s) and then by a
deterministic load through redis-cli --pipe, whose replies, DBSIZE and DEBUG DIGEST are the
output compared across allocators. The clients run without any preload. The server is stopped
on every path (shutdown, else kill) and every step has a timeout, so nothing hangs or stays up."""

import hashlib
import os
import socket
import subprocess
import time

import apps_inputs
import apps_run

BENCH_TESTS = "set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100,mset"
START_TIMEOUT_S = 15
PORT_TRIES = 3


def free_port():
    """A port nothing listens on right now (the kernel's pick); the server may still lose a race
    for it, which start_server answers with another port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(argv, env, log_path, scratch):
    """(process, port) of a server that logged it is ready, or raises RuntimeError with why."""
    last = ""
    for _ in range(PORT_TRIES):
        port = free_port()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                argv + ["--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=scratch,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            with open(log_path, errors="replace") as f:
                if "Ready to accept connections" in f.read():
                    return proc, port
            time.sleep(0.02)
        why = f"exit status {proc.returncode}" if proc.poll() is not None else f"not ready within {START_TIMEOUT_S} s"
        stop(proc)
        last = apps_run.tail(log_path, 3)
        if "Address already in use" not in last:
            break
    raise RuntimeError(f"redis-server did not start ({why}): {last or 'no log output'}")


def stop(proc):
    """Kills the server if it is still running and reaps it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def client(argv, scratch, stdin=None, timeout=300):
    """Runs a client (no preload); its CPU time is not the server's, so it is returned to be
    subtracted. Raises RuntimeError on failure."""
    before = apps_run.children_usage()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp:
        proc = subprocess.run(
            argv,
            stdin=inp,
            capture_output=True,
            timeout=timeout,
            cwd=scratch,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
        )
    usage = apps_run.usage_since(before)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")
    return proc.stdout.decode(errors="replace"), usage


def test_rates(csv_text):
    """The requests/s of each test in redis-benchmark's --csv output ("test","rps",...)."""
    rates = []
    for line in csv_text.splitlines()[1:]:
        fields = [f.strip('"') for f in line.split(",")]
        if len(fields) > 1:
            rates.append(float(fields[1]))
    return rates


def run_server(app, cmd, alloc, probe_lib, scratch, base_env, n, prefix=(), timeout=600):
    """One session; returns an apps_run.Run (CPU time and faults are the server's alone). prefix
    (taskset) applies to the server, not to the clients."""
    run = apps_run.Run(app.name, alloc.name)
    probe_file = os.path.join(scratch, "probe.txt")
    if os.path.exists(probe_file):
        os.remove(probe_file)
    load = os.path.join(scratch, f"redis-load-{n}.resp")
    if not os.path.exists(load):
        with open(load, "wb") as f:
            f.write(apps_inputs.redis_commands(n // 5))
    env = apps_run.preload_env(alloc, probe_lib, probe_file, {**base_env, **cmd.env})
    before = apps_run.children_usage()
    client_cpu = client_faults = 0.0
    proc = None
    try:
        proc, port = start_server(list(prefix) + cmd.argv, env, os.path.join(scratch, "server.log"), scratch)
        cli = ["/usr/bin/redis-cli", "-h", "127.0.0.1", "-p", str(port)]
        start = time.monotonic()
        steps = [
            (
                [
                    "/usr/bin/redis-benchmark",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-n",
                    str(n),
                    "-r",
                    "100000",
                    "-d",
                    "64",
                    "-c",
                    "20",
                    "-P",
                    "8",
                    "-t",
                    BENCH_TESTS,
                    "--csv",
                ],
                None,
            ),
            (cli + ["--pipe"], load),
            (cli + ["dbsize"], None),
            (cli + ["debug", "digest"], None),
        ]
        outputs = []
        for argv, stdin in steps:
            text, (cpu, faults) = client(argv, scratch, stdin, timeout)
            client_cpu += cpu
            client_faults += faults
            outputs.append(text)
        run.wall_s = time.monotonic() - start
        rates = test_rates(outputs[0])
        if not rates:
            raise RuntimeError(f"redis-benchmark printed no results: {outputs[0][-300:]}")
        # every test sends n requests: the overall rate is all requests over the summed test times
        run.extra["requests_per_sec"] = len(rates) / sum(1.0 / r for r in rates)
        replies = [l for l in outputs[1].splitlines() if l.startswith("errors:")]
        text = "\n".join(replies + outputs[2:])
        # SHUTDOWN closes the connection without a reply (redis-cli's status says nothing); the
        # server's exit status is checked instead. This client's CPU time is not the server's either.
        shutdown_from = apps_run.children_usage()
        subprocess.run(cli + ["shutdown", "nosave"], capture_output=True, timeout=30)
        cpu, faults = apps_run.usage_since(shutdown_from)
        client_cpu += cpu
        client_faults += faults
        rc = proc.wait(timeout=30)
        if rc != 0:
            raise RuntimeError(f"redis-server exit status {rc}: {apps_run.tail(os.path.join(scratch, 'server.log'))}")
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        run.error = str(e)
        return run
    finally:
        if proc is not None:
            stop(proc)
    cpu, faults = apps_run.usage_since(before)
    run.cpu_s, run.minor_faults = cpu - client_cpu, int(faults - client_faults)
    run.peak_rss_kb, run.error = apps_run.check_probe(probe_file, alloc)
    if run.error is None:
        run.digest = hashlib.sha256(text.encode()).hexdigest()
    return run
