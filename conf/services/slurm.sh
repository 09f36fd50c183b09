#!/usr/bin/env bash
# A one-node Slurm cluster for one page: munged, slurmctld and slurmd from
# Debian's slurm-wlm, everything (config, key, state, logs) in
# VERIFY_SERVICE_DIR, listening on loopback only. Prints SLURM_CONF=... for the
# page, so sbatch and squeue find it. The verifier ends the daemons and removes
# the folder when the page ends. Slurm's daemons run as root; each job runs as
# the user who submitted it.
set -euo pipefail
dir=${VERIFY_SERVICE_DIR:?run by the verifier, which sets VERIFY_SERVICE_DIR}
node=${SLURM_NODE_NAME:-node01}
[ "$(id -u)" = 0 ] || { echo "slurm: slurmd runs jobs as their users, so it needs root" >&2; exit 1; }
for port in 6817 6818; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "slurm: port $port is taken (a Slurm already running here?); stop it first" >&2
    exit 1
  fi
done
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
# Jobs come from the cluster's users, not root: they read slurm.conf and reach
# munged's socket here. The key stays root's (mungekey makes it 0600).
chmod 755 "$dir" "$dir/munge"
mungekey --create --keyfile="$dir/munge/munge.key" 2>/dev/null
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
  --seed-file="$dir/munge/munged.seed"

# Jobs get their environment from sbatch, not from slurmd: the task prolog marks
# them as this service's, so they end with it (a job still running when the page
# ends, its docker client included).
printf '#!/bin/sh\necho "export VERIFY_SERVICE_DIR=%s"\n' "$dir" >"$dir/task-prolog"
chmod 755 "$dir/task-prolog"

# Memory a little under the machine's, so a job's --mem request is honest.
memory=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
cat >"$dir/slurm.conf" <<CONF
ClusterName=verify
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
# Memory use is sampled each second, and a job over its --mem is ended (no cgroups here).
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
TaskProlog=$dir/task-prolog
# Bind to the addresses above (loopback), not to every interface.
CommunicationParameters=NoInAddrAny
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$(hostname -s) CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=main Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf

# slurmd binds to loopback (NoInAddrAny above), but slurmctld 22.05 listens on
# every interface whatever slurm.conf says. A guard drops what reaches its ports
# from anywhere but loopback while the service runs, and removes its rule when
# the verifier ends it (SIGTERM, as it ends every process of the service).
rule=(INPUT ! -i lo -p tcp -m multiport --dports 6817,6818 -j DROP -m comment --comment "verify-tutorial $dir")
iptables -I "${rule[@]}" || { echo "slurm: cannot keep other machines off ports 6817 and 6818 (iptables failed)" >&2; exit 1; }
setsid bash -c 'trap "iptables -D \"\$@\"; exit 0" TERM; while :; do sleep 3600 & wait $!; done' guard "${rule[@]}" \
  </dev/null >/dev/null 2>&1 &
setsid slurmctld -D -i >"$dir/log/slurmctld.out" 2>&1 </dev/null &
setsid slurmd -D -N "$node" >"$dir/log/slurmd.out" 2>&1 </dev/null &
for _ in $(seq 1 150); do
  if sinfo --noheader --nodes="$node" --format=%t 2>/dev/null | grep -qx idle; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
echo "slurm: the node did not come up idle within 30 s; see $dir/log" >&2
exit 1
