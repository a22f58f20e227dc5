#!/usr/bin/env bash
# make bench-netguard: itsgow's flow collector + detector and FastNetMon side by side, on the same
# flows (pre-encoded by internal/netguard/collector/benchdriver) and the same threshold:
#   (a) ingest: flow records per second decoded and counted without loss with 100,000 tracked IPs,
#       for NetFlow v5, IPFIX and sFlow, raising the send rate until loss appears; CPU from
#       /proc/<pid>/stat gives records per CPU-second. Both tools listen at once and take the
#       steps in turn (itsgow at a rate, FastNetMon at the same rate, the next rate...), so that
#       a noisy machine weighs on both alike; the ratio is printed per step and at the end.
#       A third listener, "floor", is itsgow's collector receiving and decoding the same flows
#       and counting nothing (benchdriver receive --no-detector): the cost of the kernel, the
#       receive loop and the decoders alone, which bounds what any counting can reach;
#   (b) detection latency: first attack datagram to detection (itsgow: the confirmation;
#       FastNetMon: its ban script), p50 and p99 over 20 runs at 10x and 2x the threshold;
#   (c) memory per tracked IP: RSS with 100,000 tracked IPs minus RSS with none, idle;
#   (d) itsgow end to end, first attack datagram to the FlowSpec route in BIRD: the real
#       `itsgow serve` (collector, detector, mitigation, edge compile, embedded GoBGP speaker)
#       peering with BIRD 2 on 127.0.0.20, each run on a new tracked IP, BIRD's flowtab4 read
#       through its control socket every 5 ms, runs 0.5 to 1.5 s apart (random); p50 and p99
#       over RUNS runs at 10x and 2x the threshold of the IPs' profile (default: UDP 50,000
#       packets/s).
# Loopback only; every load is bounded in time. Installs Debian fastnetmon when missing, runs it
# with its own configuration (usage reporting off, connection tracking off unless said), never as
# a service. Sets net.core.rmem_max/rmem_default to 32 MiB for the run and restores them.
#
# Environment: STEP (seconds per ingest step, 5), RUNS (latency runs, 20), FORMATS
# ("netflow5 ipfix sflow"), TOOLS ("itsgow fastnetmon floor"), FNM_CONNTRACK (off), OUT (results file),
# ITSGOW_BIRD (on: part (d) after the others when TOOLS has itsgow; off; only: part (d) alone).
set -euo pipefail
cd "$(dirname "$0")/.."
STEP=${STEP:-5}
RUNS=${RUNS:-20}
FORMATS=${FORMATS-netflow5 ipfix sflow}
TOOLS=${TOOLS-itsgow fastnetmon floor}
FNM_CONNTRACK=${FNM_CONNTRACK:-off}
ITSGOW_BIRD=${ITSGOW_BIRD:-on}
case $ITSGOW_BIRD in on|off|only) ;; *) echo "ITSGOW_BIRD: on, off or only" >&2; exit 2 ;; esac
if [ "$ITSGOW_BIRD" = only ]; then TOOLS=""; fi
if [ "$RUNS" -gt 120 ]; then echo "RUNS: at most 120" >&2; exit 2; fi
# itsgow's detection rule, as the mitigation service applies it: detector trigger delay 1 s,
# export delay 0 (a second judged when it ends, and again as late records arrive), Tick every
# 250 ms (netguard.tick), an attack at 5x its threshold confirmed at its first second above, a
# lighter one once it has lasted policy attack_trigger_delay (1 s). ITSGOW_EXPORT_DELAY delays the
# detector's judgement of a second; ITSGOW_CONFIRM_NOT_QUIET=true adds the former rule's condition
# that the latest judged second be above threshold; ITSGOW_CONFIRM_AFTER sets
# attack_trigger_delay; ITSGOW_TICK the Tick period.
ITSGOW_EXPORT_DELAY=${ITSGOW_EXPORT_DELAY:-0s}
ITSGOW_CONFIRM_NOT_QUIET=${ITSGOW_CONFIRM_NOT_QUIET:-false}
ITSGOW_CONFIRM_AFTER=${ITSGOW_CONFIRM_AFTER:-1s}
ITSGOW_TICK=${ITSGOW_TICK:-250ms}
ITSGOW_FAST_SEVERITY=${ITSGOW_FAST_SEVERITY:-5} # 0: every detector start event is a detection
THRESHOLD=20000 # packets/s, total, for both tools
TRACKED=100000

if [[ " $TOOLS " == *" fastnetmon "* ]] && ! command -v fastnetmon >/dev/null 2>&1; then
  echo "bench-netguard: installing fastnetmon"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends fastnetmon >/dev/null
fi
pkill_pid() { [ -n "${1:-}" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }

work=$(mktemp -d /tmp/bench-netguard.XXXXXX)
OUT=${OUT:-$work/results.txt}
bin=$work/benchdriver
CGO_ENABLED=0 go build -o "$bin" ./internal/netguard/collector/benchdriver
old_max=$(sysctl -n net.core.rmem_max)
old_def=$(sysctl -n net.core.rmem_default)
pid=""
bird_pid="" serve_pid=""
# Per tool: its PID while both listen, and its ingest ladder (see ingest).
declare -A tool_pid=() best=() best_core=() best_cpu=() stopped=() step_core=()
cleanup() {
  local p
  pkill_pid "$pid"; pkill_pid "$serve_pid"; pkill_pid "$bird_pid"
  for p in "${tool_pid[@]}"; do pkill_pid "$p"; done
  sysctl -qw net.core.rmem_max="$old_max" net.core.rmem_default="$old_def" || true
}
trap cleanup EXIT
sysctl -qw net.core.rmem_max=33554432 net.core.rmem_default=33554432

say() { echo "$*" | tee -a "$OUT"; }
json() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d$2)" "$1"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
wait_port() { # wait until a UDP port is bound
  for _ in $(seq 1 200); do ss -Hlun "sport = :$1" | grep -q . && return 0; sleep 0.05; done
  echo "port $1 never bound" >&2; return 1
}

# --- itsgow -------------------------------------------------------------------------------------
it_nf=127.0.0.1:12055 it_ipfix=127.0.0.1:14739 it_sflow=127.0.0.1:16343
itsgow_start() { # $1 tracked IPs
  : >"$work/itsgow-events.log"
  "$bin" receive --netflow $it_nf --ipfix $it_ipfix --sflow $it_sflow --tracked "$1" \
    --threshold-pps $THRESHOLD --trigger-delay 1s --tick "$ITSGOW_TICK" --fast-severity "$ITSGOW_FAST_SEVERITY" --confirm-after "$ITSGOW_CONFIRM_AFTER" \
    --export-delay "$ITSGOW_EXPORT_DELAY" --confirm-not-quiet="$ITSGOW_CONFIRM_NOT_QUIET" \
    --stats "$work/itsgow-stats.json" --events "$work/itsgow-events.log" 2>>"$work/itsgow.err" &
  pid=$!
  wait_port 12055; wait_port 16343
  for _ in $(seq 1 100); do [ -s "$work/itsgow-stats.json" ] && break; sleep 0.05; done
}
itsgow_count() { python3 -c "import json; print(json.load(open('$work/itsgow-stats.json'))['flows'])"; }
itsgow_to() { case $1 in ipfix) echo $it_ipfix ;; sflow) echo $it_sflow ;; *) echo $it_nf ;; esac; }
# The floor: the same collector, decoding and counting nothing, on ports of its own.
fl_nf=127.0.0.1:13055 fl_ipfix=127.0.0.1:15739 fl_sflow=127.0.0.1:17343
floor_start() {
  "$bin" receive --netflow $fl_nf --ipfix $fl_ipfix --sflow $fl_sflow --tracked 0 --no-detector \
    --stats "$work/floor-stats.json" 2>>"$work/floor.err" &
  pid=$!
  wait_port 13055; wait_port 17343
  for _ in $(seq 1 100); do [ -s "$work/floor-stats.json" ] && break; sleep 0.05; done
}
floor_count() { python3 -c "import json; print(json.load(open('$work/floor-stats.json'))['flows'])"; }
floor_to() { case $1 in ipfix) echo $fl_ipfix ;; sflow) echo $fl_sflow ;; *) echo $fl_nf ;; esac; }

# --- FastNetMon ---------------------------------------------------------------------------------
fnm_prom=127.0.0.1:29209
fnm_conf() { # $1 networks file
  cat >"$work/fastnetmon.conf" <<EOF
logging_level = warning
disable_usage_report = on
enable_ban = on
enable_ban_ipv6 = off
process_incoming_traffic = on
process_outgoing_traffic = off
ban_details_records_count = 20
ban_time = 1900
unban_only_if_attack_finished = on
networks_list_path = $1
white_list_path = $work/fnm-whitelist
check_period = 1
enable_connection_tracking = $FNM_CONNTRACK
ban_for_pps = on
ban_for_bandwidth = off
ban_for_flows = off
threshold_pps = $THRESHOLD
threshold_mbps = 100000
threshold_flows = 3500
netflow = on
sflow = on
average_calculation_time = 1
speed_calculation_delay = 1
netflow_port = 22055
netflow_host = 127.0.0.1
netflow_sampling_ratio = 1
sflow_port = 26343
sflow_host = 127.0.0.1
notify_script_path = $work/fnm-notify.sh
enable_api = off
prometheus = on
prometheus_port = ${fnm_prom##*:}
prometheus_host = 127.0.0.1
pid_path = $work/fastnetmon.pid
cli_stats_file_path = $work/fastnetmon.dat
cli_stats_ipv6_file_path = $work/fastnetmon_ipv6.dat
monitor_local_ip_addresses = off
EOF
}
: >"$work/fnm-whitelist"
# The first 100,000 addresses from 198.18.0.0, as itsgow tracks them.
printf '%s\n' 198.18.0.0/16 198.19.0.0/17 198.19.128.0/22 198.19.132.0/23 198.19.134.0/25 198.19.134.128/27 >"$work/fnm-networks"
echo 203.0.113.1/32 >"$work/fnm-networks-none"
cat >"$work/fnm-notify.sh" <<EOF
#!/bin/sh
# FastNetMon ban script: \$1 IP, \$2 direction, \$3 pps, \$4 action (ban, unban, attack_details)
echo "\$(date +%s.%N) \$1 \$4" >>"$work/fnm-bans.log"
cat >/dev/null
EOF
chmod +x "$work/fnm-notify.sh"
mkdir -p /var/log/fastnetmon_attacks
fnm_start() { # $1 networks file
  : >"$work/fnm-bans.log"
  fnm_conf "$1"
  fastnetmon --configuration_file "$work/fastnetmon.conf" --log_file "$work/fastnetmon.log" --disable_pid_logic >/dev/null 2>&1 &
  pid=$!
  wait_port 22055; wait_port 26343
  for _ in $(seq 1 200); do curl -fs "http://$fnm_prom/metrics" >/dev/null 2>&1 && break; sleep 0.05; done
}
fnm_count() { curl -fs "http://$fnm_prom/metrics" | awk '$1 == "fastnetmon_total_simple_packets_processed" {printf "%d\n", $2}'; }
fnm_to() { case $1 in sflow) echo 127.0.0.1:26343 ;; *) echo 127.0.0.1:22055 ;; esac; }

# --- (c) memory per tracked IP ------------------------------------------------------------------
memory() { # $1 tool
  local none full
  if [ "$1" = itsgow ]; then itsgow_start 0; else fnm_start "$work/fnm-networks-none"; fi
  sleep 2; none=$(rss_kib "$pid"); pkill_pid "$pid"; pid=""
  if [ "$1" = itsgow ]; then itsgow_start $TRACKED; else fnm_start "$work/fnm-networks"; fi
  sleep 2; full=$(rss_kib "$pid")
  say "memory $1: RSS $none KiB with no tracked IP, $full KiB with $TRACKED: $(( (full - none) * 1024 / TRACKED )) bytes per tracked IP"
  if [ "$1" = itsgow ]; then say "memory itsgow: Go heap per idle tracked IP $(python3 -c "import json; print(round(json.load(open('$work/itsgow-stats.json'))['heap_bytes_per_idle_ip'],1))") bytes"; fi
}

# --- (a) ingest ---------------------------------------------------------------------------------
rates() { case $1 in sflow) echo 250000 500000 750000 1000000 1500000 2000000 3000000 4000000 ;; *) echo 250000 500000 1000000 1500000 2000000 3000000 4000000 ;; esac; }
# ingest_step tool format rate: one step of the ladder for one tool; sets step_core[tool] and,
# when nothing was lost, best*[tool]; stopped[tool]=1 at the first loss.
ingest_step() {
  local tool=$1 f=$2 rate=$3 to count p c0 t0 res sent c1 t1 got cpu_s per_core loss
  case $tool in
  itsgow) to=$(itsgow_to "$f"); count=itsgow_count ;;
  floor) to=$(floor_to "$f"); count=floor_count ;;
  *) to=$(fnm_to "$f"); count=fnm_count ;;
  esac
  p=${tool_pid[$tool]}
  c0=$($count); t0=$(cpu_ticks "$p")
  res=$("$bin" send --to "$to" --format "$f" --rate "$rate" --duration "${STEP}s")
  sleep 1.5
  c1=$($count); t1=$(cpu_ticks "$p")
  sent=$(json "$res" "['records']"); got=$((c1 - c0))
  cpu_s=$(python3 -c "print(round(($t1-$t0)/$hz, 2))")
  per_core=$(python3 -c "print(int($got / max(($t1-$t0)/$hz, 0.01)))")
  loss=$(python3 -c "print(round(100*max($sent-$got,0)/max($sent,1), 3))")
  say "ingest $tool $f: asked $rate/s, sent $(json "$res" "['records_per_second']" | cut -d. -f1)/s ($sent records), counted $got, loss $loss %, CPU $cpu_s s ($(python3 -c "print(round(100*$cpu_s/$STEP))") % of a core over the step), $per_core records per CPU-second"
  step_core[$tool]=$per_core
  if python3 -c "import sys; sys.exit(0 if $got >= 0.999*$sent else 1)"; then
    best[$tool]=$(json "$res" "['records_per_second']" | cut -d. -f1); best_core[$tool]=$per_core; best_cpu[$tool]=$cpu_s
  else
    stopped[$tool]=1
  fi
}
# ingest format: the tools of TOOLS, all listening at once on their own ports, climb the same
# ladder of rates in turn (itsgow at a rate, then FastNetMon at that rate, then the next rate),
# so that both meet the machine in the same state; each stops at its first loss.
ingest() {
  local f=$1 tool rate all both
  for tool in $TOOLS; do
    best[$tool]=0 best_core[$tool]=0 best_cpu[$tool]=0 stopped[$tool]=0
    # Templates, and a warm-up of 500,000 records, more than the sender's pool of datagrams
    # holds: every destination of the ladder is then seen, so that its first step measures a
    # collector that has been running. itsgow sets up an IP's counters at its first record,
    # once for as long as the IP has traffic (FastNetMon's are set up at start).
    "$bin" send --to "$("${tool/fastnetmon/fnm}_to" "$f")" --format "$f" --rate 250000 --duration 2s >/dev/null
  done
  sleep 1
  for rate in $(rates "$f"); do
    both=1
    for tool in $TOOLS; do
      step_core[$tool]=""
      if [ "${stopped[$tool]}" = 0 ]; then ingest_step "$tool" "$f" "$rate"; fi
      [ "${stopped[$tool]}" = 0 ] || both=0
    done
    if [ "$both" = 1 ] && [ -n "${step_core[itsgow]:-}" ] && [ -n "${step_core[fastnetmon]:-}" ]; then
      say "ingest $f at $rate/s, both without loss: itsgow / FastNetMon records per CPU-second $(python3 -c "print(round(${step_core[itsgow]}/max(${step_core[fastnetmon]},1), 2))")"
    fi
    if [ -n "${step_core[floor]:-}" ] && [ -n "${step_core[fastnetmon]:-}" ] && [ "${stopped[floor]}" = 0 ]; then
      say "ingest $f at $rate/s: itsgow's floor (receive and decode, no counting) / FastNetMon records per CPU-second $(python3 -c "print(round(${step_core[floor]}/max(${step_core[fastnetmon]},1), 2))")"
    fi
    all=1
    for tool in $TOOLS; do [ "${stopped[$tool]}" = 1 ] || all=0; done
    [ "$all" = 1 ] && break
  done
  for tool in $TOOLS; do
    say "ingest $tool $f RESULT: ${best[$tool]} records/s without loss, ${best_core[$tool]} records per CPU-second, $(python3 -c "print(round(100*${best_cpu[$tool]}/$STEP))") % of a core"
  done
  if [[ " $TOOLS " == *" itsgow "* && " $TOOLS " == *" fastnetmon "* ]]; then
    say "ingest $f RESULT itsgow / FastNetMon, records per CPU-second at each one's highest loss-free rate: $(python3 -c "print(round(${best_core[itsgow]}/max(${best_core[fastnetmon]},1), 2))")"
  fi
  if [[ " $TOOLS " == *" floor "* && " $TOOLS " == *" fastnetmon "* ]]; then
    say "ingest $f RESULT itsgow's floor (receive and decode, no counting) / FastNetMon, records per CPU-second at each one's highest loss-free rate: $(python3 -c "print(round(${best_core[floor]}/max(${best_core[fastnetmon]},1), 2))")"
  fi
}

latency() { # $1 tool
  local to watch first=60000
  if [ "$1" = itsgow ]; then to=$it_nf; watch=$work/itsgow-events.log; else to=127.0.0.1:22055; watch=$work/fnm-bans.log; fi
  for factor in 10 2; do
    res=$("$bin" latency --to "$to" --format netflow5 --watch "$watch" --runs "$RUNS" --threshold-pps $THRESHOLD \
      --factor $factor --first $first --label "$1" 2>>"$work/latency-$1.log")
    say "latency $1 ${factor}x threshold (NetFlow v5, 1 s records): $res"
    first=$((first + 1000))
  done
}

# --- (d) itsgow to BIRD -------------------------------------------------------------------------
free_port() { # $1 address, $2 tcp or udp: a port free at the moment
  python3 -c "import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[2]=='tcp' else socket.SOCK_DGRAM); s.bind((sys.argv[1],0)); print(s.getsockname()[1])" "$1" "$2"
}
bird_latency() {
  local d=$work/bird bp op hp nf cust="" targets10="" targets2="" i
  if ! command -v bird >/dev/null 2>&1 || ! command -v birdc >/dev/null 2>&1; then
    echo "bench-netguard: installing bird2"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bird2 >/dev/null
  fi
  mkdir -p "$d"
  CGO_ENABLED=0 go build -o "$work/itsgow" ./cmd/itsgow
  bp=$(free_port 127.0.0.20 tcp); op=$(free_port 127.0.0.10 tcp); hp=$(free_port 127.0.0.1 tcp); nf=$(free_port 127.0.0.1 udp)
  cat >"$d/bird.conf" <<EOF
router id 127.0.0.20;
flow4 table flowtab4;
flow6 table flowtab6;
protocol device { }
protocol bgp itsgow {
  local 127.0.0.20 port $bp as 65020;
  neighbor 127.0.0.10 port $op as 65010;
  multihop 2;
  strict bind yes;
  connect retry time 1;
  ipv4 { import all; export none; };
  flow4 { table flowtab4; import all; export none; };
  flow6 { table flowtab6; import all; export none; };
}
EOF
  # One customer IP per run, each in its own /24 (no run shares a prefix aggregate with another):
  # 198.18.N.10 for N = 1 .. 2*RUNS, owned by the demo customer, default profile.
  for i in $(seq 1 $((2 * RUNS))); do
    cust="$cust\"198.18.$i.10/32=demo@itsgow.example\", "
    if [ "$i" -le "$RUNS" ]; then targets10="$targets10,198.18.$i.10"; else targets2="$targets2,198.18.$i.10"; fi
  done
  cat >"$d/itsgow.yaml" <<EOF
data: $d/data
roles: [api, collector, edge]
http:
  addr: 127.0.0.1:$hp
log:
  level: warn
netguard:
  collector:
    netflow: 127.0.0.1:$nf
    ipfix: ""
    sflow: ""
    exporters: [127.0.0.1]
  bgp:
    asn: 65010
    router_id: 127.0.0.10
    listen: 127.0.0.10:$op
    hold_time: 9s
    connect_retry: 1s
    peers:
      - {address: 127.0.0.20, port: $bp, asn: 65020, multihop: 2, families: [ipv4-flowspec, ipv6-flowspec, ipv4-unicast]}
  customers: [${cust%, }]
  refresh: 1s
EOF
  bird -f -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" >"$d/bird.log" 2>&1 &
  bird_pid=$!
  "$work/itsgow" serve --demo --config "$d/itsgow.yaml" >"$d/serve.out" 2>"$d/serve.err" &
  serve_pid=$!
  for i in $(seq 1 200); do # at most 20 s for the BGP session
    birdc -s "$d/bird.ctl" show protocols itsgow 2>/dev/null | grep -q Established && break
    if [ "$i" = 200 ]; then echo "no BGP session between itsgow and BIRD (see $d)" >&2; return 1; fi
    sleep 0.1
  done
  wait_port "$nf"
  sleep 2 # netguard.refresh 1s: the customer IPs are tracked by now
  say "bird-latency setup: $(bird --version 2>&1 | head -1), itsgow serve roles api,collector,edge, BGP 127.0.0.10:$op <-> BIRD 127.0.0.20:$bp, NetFlow v5 collector 127.0.0.1:$nf, profile default (UDP 50000 packets/s), BIRD flowtab4 read every 5 ms, random pause of 0.5 to 1.5 s between runs"
  local factor targets res
  for factor in 10 2; do
    if [ "$factor" = 10 ]; then targets=${targets10#,}; else targets=${targets2#,}; fi
    res=$("$bin" latency --to "127.0.0.1:$nf" --format netflow5 --bird "$d/bird.ctl" --poll 5ms --jitter 1s --targets "$targets" \
      --runs "$RUNS" --threshold-pps 50000 --factor "$factor" --label itsgow-bird 2>>"$work/latency-itsgow-bird.log")
    say "latency itsgow to BIRD ${factor}x threshold (NetFlow v5, 1 s records, first datagram to the FlowSpec route in flowtab4): $res"
  done
  say "bird-latency: $(birdc -s "$d/bird.ctl" show route table flowtab4 count | grep -i routes) in BIRD's flowtab4 at the end"
  pkill_pid "$serve_pid"; serve_pid=""
  pkill_pid "$bird_pid"; bird_pid=""
}

fnm_version=$(dpkg-query -W -f '${Version}' fastnetmon 2>/dev/null || echo none)
say "bench-netguard $(date -u +%FT%TZ) on $(nproc) cores, $(uname -r); $TRACKED tracked IPs, threshold $THRESHOLD packets/s, FastNetMon $fnm_version connection tracking $FNM_CONNTRACK; itsgow export delay $ITSGOW_EXPORT_DELAY, tick $ITSGOW_TICK, fast severity $ITSGOW_FAST_SEVERITY, confirm after $ITSGOW_CONFIRM_AFTER, confirm only when not quiet: $ITSGOW_CONFIRM_NOT_QUIET"
for tool in $TOOLS; do [ "$tool" = floor ] || memory "$tool"; pkill_pid "$pid"; pid=""; done
# Both tools listen at once (each on its own ports) for the ingest ladder and the latency runs.
for tool in $TOOLS; do
  case $tool in
  itsgow) itsgow_start $TRACKED ;;
  floor) floor_start ;;
  *) fnm_start "$work/fnm-networks" ;;
  esac
  tool_pid[$tool]=$pid
  pid=""
done
for f in $FORMATS; do ingest "$f"; done
for tool in $TOOLS; do [ "$tool" = floor ] || latency "$tool"; done
for tool in $TOOLS; do pkill_pid "${tool_pid[$tool]}"; tool_pid[$tool]=""; done
if [ "$ITSGOW_BIRD" = only ] || { [ "$ITSGOW_BIRD" = on ] && [[ " $TOOLS " == *" itsgow "* ]]; }; then bird_latency; fi
say "results in $OUT"
