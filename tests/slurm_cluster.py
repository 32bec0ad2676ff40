"""A throwaway one-node SLURM cluster on this machine, for tests of `snakemake --profile slurm`.

It runs munged, slurmctld and slurmd from the Debian packages (`slurmctld slurmd slurm-client
munge`; it installs nothing) as root, each in the foreground as a child of this process, with
everything in one fresh directory: a generated slurm.conf, its own munge key and socket, free
ports, state, logs. Client commands reach it through ``SLURM_CONF`` (:attr:`SlurmCluster.env`),
except the ``srun`` that snakemake-executor-plugin-slurm runs inside each job, which it starts
without the SLURM_* variables: for that one, /etc/slurm/slurm.conf is made a link to the
generated file while the cluster runs (so a machine with its own SLURM configuration there is
refused, and two clusters on one machine take turns, by a lock). ``gpus=N`` adds N fake GPUs
(character devices like /dev/null listed in gres.conf): SLURM schedules them and sets
CUDA_VISIBLE_DEVICES, CUDA sees nothing. A TaskProlog records the environment every job step
starts with (:meth:`SlurmCluster.task_environments`).

    with SlurmCluster(gpus=2) as cluster:
        subprocess.run(["sbatch", "--wrap", "hostname"], env=cluster.env)

By hand (as root): ``python tests/slurm_cluster.py --gpus 2`` starts one, prints the
``export SLURM_CONF=...`` line for another shell, and stops it on Ctrl-C.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "scontrol", "scancel", "srun")
SBIN = ("/usr/sbin", "/sbin")
# where clients look when SLURM_CONF is unset (the Debian packages' default)
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
PREFIX = "fc-slurm-"


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))


def unavailable() -> str | None:
    """Why no cluster can start here, or None when one can."""
    missing = [name for name in DAEMONS + CLIENTS if _which(name) is None]
    if missing:
        return (
            f"SLURM is not installed here (missing {', '.join(missing)}); as root: apt-get install -y "
            "--no-install-recommends slurmctld slurmd slurm-client munge (.ci/run does this)"
        )
    if os.geteuid() != 0:
        return "a local SLURM cluster needs root (slurmd starts jobs as their user)"
    if _foreign_system_conf():
        return f"{SYSTEM_CONF} belongs to this machine's own SLURM; the test cluster would replace it"
    return None


def _foreign_system_conf() -> bool:
    """Whether /etc/slurm/slurm.conf exists and is not a link left by a cluster of this module."""
    if SYSTEM_CONF.is_symlink():
        return not Path(os.readlink(SYSTEM_CONF)).parent.name.startswith(PREFIX)
    return SYSTEM_CONF.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb() -> int:
    """Memory the node offers: 1 GB below the machine's (slurmd refuses a node that claims more)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return max(int(line.split()[1]) // 1024 - 1024, 512)
    raise RuntimeError("no MemTotal in /proc/meminfo")


class SlurmCluster:
    """One node (``localhost``) in one default partition; see the module's docstring."""

    def __init__(self, gpus: int = 0, cpus: int | None = None):
        self.gpus = gpus
        # at least two CPUs, so that two jobs run at once even on a one-core machine
        self.cpus = cpus or max(2, os.cpu_count() or 1)
        self.dir: Path | None = None
        self._daemons: dict[str, subprocess.Popen] = {}
        self._lock = None

    # --- start and stop -------------------------------------------------------------------------

    def start(self) -> SlurmCluster:
        why = unavailable()
        if why:
            raise RuntimeError(why)
        # munged insists that every directory above its socket be searchable by all
        self.dir = Path(tempfile.mkdtemp(prefix=PREFIX))
        self.dir.chmod(0o711)
        try:
            self._write_config()
            self._claim_system_conf()
            self._start_munged()
            for name, args in (("slurmctld", ["-D"]), ("slurmd", ["-D", "-N", "localhost"])):
                self._spawn(name, [_which(name), *args])
            self._wait_for_idle_node()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, keep_files: bool = False) -> None:
        """Cancel the jobs left, stop the daemons by their pids (slurmd, slurmctld, munged), then
        remove the directory."""
        if "slurmd" in self._daemons and self._daemons["slurmctld"].poll() is None:
            self._cancel_jobs()
        for name in reversed(list(self._daemons)):
            process = self._daemons.pop(name)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.dir and SYSTEM_CONF.is_symlink() and Path(os.readlink(SYSTEM_CONF)) == self.conf:
            SYSTEM_CONF.unlink()
        if self._lock:
            self._lock.close()  # releases the lock
            self._lock = None
        if self.dir and not keep_files:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _cancel_jobs(self, timeout: float = 20) -> None:
        def jobs():
            return self.run("squeue", "-h", "-t", "PD,R,CG", "-o", "%i", check=False).split()

        if jobs():
            self.run("scancel", *jobs(), check=False)
            deadline = time.monotonic() + timeout
            while jobs() and time.monotonic() < deadline:
                time.sleep(0.5)

    def __enter__(self) -> SlurmCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what tests use -------------------------------------------------------------------------

    @property
    def conf(self) -> Path:
        return self.dir / "slurm.conf"

    @property
    def env(self) -> dict:
        """This process's environment with SLURM_CONF pointing at the cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *command: str, check: bool = True) -> str:
        """A client command (``scontrol``, ``squeue``, ...) against this cluster; its stdout."""
        result = subprocess.run([_which(command[0]), *command[1:]], env=self.env, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
        return result.stdout

    def job(self, job_id: int | str) -> dict[str, str]:
        """``scontrol show job -d``'s fields of one job (slurmctld keeps finished jobs for
        MinJobAge, 300 s). ``GRES`` holds the devices a job got, e.g. ``gpu:1(IDX:0)``."""
        out = self.run("scontrol", "show", "job", "-d", "-o", str(job_id))
        fields = {}
        for token in out.split():
            key, sep, value = token.partition("=")
            if sep and key not in fields:  # -d repeats per-node fields; the first is the job's
                fields[key] = value
        return fields

    def task_environments(self) -> list[dict[str, str]]:
        """One dict per job step started so far: job, step, cuda_visible_devices ("unset" when
        SLURM did not set it), as the step's tasks saw them."""
        path = self.dir / "tasks.log"
        rows = path.read_text().splitlines() if path.exists() else []
        return [dict(item.split("=", 1) for item in row.split()) for row in rows]

    @property
    def slurmctld_log(self) -> str:
        return (self.dir / "slurmctld.log").read_text()

    # --- set-up ---------------------------------------------------------------------------------

    def _write_config(self) -> None:
        d = self.dir
        gres = ""
        if self.gpus:
            for i in range(self.gpus):
                os.mknod(d / f"gpu{i}", 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
            (d / "gres.conf").write_text(f"Name=gpu File={d}/gpu[0-{self.gpus - 1}]\n")
            gres = f" Gres=gpu:{self.gpus}"
        prolog = d / "task_prolog.sh"
        prolog.write_text(
            "#!/bin/sh\n"
            f'echo "job=$SLURM_JOB_ID step=${{SLURM_STEP_ID:-batch}} '
            f'cuda_visible_devices=${{CUDA_VISIBLE_DEVICES-unset}}" >> {d}/tasks.log\n'
        )
        prolog.chmod(0o755)
        (d / "state").mkdir()
        (d / "spool").mkdir()
        self.conf.write_text(
            "\n".join(
                [
                    "ClusterName=fctest",
                    "SlurmctldHost=localhost",
                    f"SlurmctldPort={_free_port()}",
                    f"SlurmdPort={_free_port()}",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    "AuthType=auth/munge",
                    "CredType=cred/munge",
                    f"AuthInfo=socket={d}/munge/socket",
                    f"StateSaveLocation={d}/state",
                    f"SlurmdSpoolDir={d}/spool",
                    f"SlurmctldPidFile={d}/slurmctld.pid",
                    f"SlurmdPidFile={d}/slurmd.pid",
                    f"SlurmctldLogFile={d}/slurmctld.log",
                    f"SlurmdLogFile={d}/slurmd.log",
                    # the cgroup default fails without a cgroup.conf
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core_Memory",
                    "AccountingStorageType=accounting_storage/none",
                    "JobAcctGatherType=jobacct_gather/none",
                    "JobCompType=jobcomp/none",
                    "MpiDefault=none",
                    "ReturnToService=2",
                    "KillWait=10",
                    # the node is what this file says, whatever the machine has
                    "SlurmdParameters=config_overrides",
                    f"TaskProlog={prolog}",
                    *(["GresTypes=gpu"] if self.gpus else []),
                    f"NodeName=localhost CPUs={self.cpus} RealMemory={_memory_mb()}{gres} State=UNKNOWN",
                    "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )

    def _claim_system_conf(self) -> None:
        """Link /etc/slurm/slurm.conf to this cluster's file, waiting for any other cluster."""
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(Path(tempfile.gettempdir()) / "fc-slurm-cluster.lock", "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        if _foreign_system_conf():
            raise RuntimeError(f"{SYSTEM_CONF} belongs to this machine's own SLURM; not replacing it")
        SYSTEM_CONF.unlink(missing_ok=True)  # a link left by a cluster that was killed
        SYSTEM_CONF.symlink_to(self.conf)

    def _start_munged(self) -> None:
        munge = self.dir / "munge"
        munge.mkdir(mode=0o755)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o600)
        self._spawn(
            "munged",
            [
                _which("munged"), "--foreground", f"--socket={munge}/socket", f"--key-file={key}",
                f"--pid-file={munge}/munged.pid", f"--log-file={munge}/munged.log", f"--seed-file={munge}/seed",
            ],
        )
        self._wait(lambda: (munge / "socket").exists(), "munged's socket", "munged")

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.dir / f"{name}.out", "w")
        self._daemons[name] = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()

    def _wait(self, ready, what: str, *daemons: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            for name in daemons or self._daemons:
                if self._daemons[name].poll() is not None:
                    raise RuntimeError(f"{name} exited while waiting for {what}:\n{self._output(name)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {what} after {timeout} s:\n" + "\n".join(map(self._output, self._daemons)))
            time.sleep(0.2)

    def _output(self, name: str) -> str:
        out = self.dir / f"{name}.out"
        logs = [out, self.dir / f"{name}.log", self.dir / "munge" / f"{name}.log"]
        return f"--- {name}:\n" + "".join(p.read_text()[-2000:] for p in logs if p.exists())

    def _wait_for_idle_node(self) -> None:
        def idle():
            result = subprocess.run(
                [_which("sinfo"), "-h", "-n", "localhost", "-o", "%T"], env=self.env, capture_output=True, text=True
            )
            return result.stdout.strip() == "idle"

        self._wait(idle, "idle node")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gpus", type=int, default=0, help="fake GPUs on the node")
    args = parser.parse_args()
    cluster = SlurmCluster(gpus=args.gpus).start()
    print(f"export SLURM_CONF={cluster.conf}\n(Ctrl-C or SIGTERM stops the cluster)", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
