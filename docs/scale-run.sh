#!/bin/bash
# Load measurement of docs/scale.md: one Mosquitto on loopback, N console
# instances (a shared group when N > 1), cellsentry loadgen; prints each
# console's peak memory and CPU, what each stored, and loadgen's report.
# Binaries in /tmp/cs (go build -o /tmp/cs/cellsentry ./cmd/cellsentry; same for
# cellsentry-console). Raise the open-file limit for 10,000 sensors (ulimit -n 20000).
#
# usage: docs/scale-run.sh NAME SENSORS CONSOLES EXTRA_CONSOLE_YAML -- LOADGEN_FLAGS…
#   docs/scale-run.sh 10k2 10000 2 "" -- --duration 60s --latency
#   docs/scale-run.sh offline 51 2 "fusion:\n  offline_after: 10s\n" -- --health-every 6s --alert-rate 0 --offline=false --duration 45s
set -u
name=$1 sensors=$2 consoles=$3 extra=$4; shift 4; [ "$1" = "--" ] && shift
dir=/tmp/cs/run-$name; rm -rf $dir; mkdir -p $dir; cd $dir
port=$((18830 + RANDOM % 1000))
printf 'listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n' $port > mosquitto.conf
mosquitto -c mosquitto.conf > mosquitto.log 2>&1 & mpid=$!
sleep 0.3
/tmp/cs/cellsentry loadgen --write-sites sites --sensors $sensors > sites.txt
nsites=$(wc -l < sites.txt)
pids=()
for i in $(seq 1 $consoles); do
  { printf 'console:\n  listen: 127.0.0.1:%d\n  store: console-%d.db\n  secure_cookies: false\n  sites:\n' $((8100+i)) $i
    sed 's/^/    - /' sites.txt
    printf "mqtt:\n  broker: tcp://127.0.0.1:%d\n  client_id: console-%d\n" $port $i; [ $consoles -gt 1 ] && printf "  share: consoles\n"
    printf '%b' "$extra"
    printf 'users:\n  - name: admin\n    role: admin\n    password_hash: "$2a$10$r7oUbXsLViZXgwLNXlUPvuKTLsh1Bs3ssNnd4KBsdtEiMJtLbDD3i"\nmetrics:\n  listen: ""\n'
  } > console-$i.yaml
  /tmp/cs/cellsentry-console --config console-$i.yaml > console-$i.log 2>&1 & pids+=($!)
done
t0=$SECONDS
while [ $consoles -gt 1 ]; do
  ok=0; owned=0
  for i in $(seq 1 $consoles); do
    l=$(grep 'msg=group' console-$i.log | tail -1)
    m=$(sed -n 's/.*members=\([0-9]*\).*/\1/p' <<<"$l"); o=$(sed -n 's/.*sites_owned=\([0-9]*\).*/\1/p' <<<"$l")
    [ "${m:-0}" = "$consoles" ] && ok=$((ok+1)); owned=$((owned+${o:-0}))
  done
  [ $ok = $consoles ] && [ $owned = $nsites ] && break
  [ $((SECONDS-t0)) -gt 120 ] && { echo "not settled: ok=$ok owned=$owned of $nsites"; break; }
  sleep 0.2
done
[ $consoles = 1 ] && while [ $(grep -c 'msg=subscribed' console-1.log) -lt $((nsites*1)) ]; do sleep 0.2; done
echo "settled in $((SECONDS-t0)) s ($nsites sites)"
cpu0=(); for p in "${pids[@]}"; do cpu0+=($(awk '{print $14+$15}' /proc/$p/stat)); done
/tmp/cs/cellsentry loadgen --broker tcp://127.0.0.1:$port --sensors $sensors --record sent.jsonl "$@" > report.json 2> loadgen.log
sleep 3
for k in "${!pids[@]}"; do p=${pids[$k]}; i=$((k+1))
  cpu1=$(awk '{print $14+$15}' /proc/$p/stat)
  echo "console-$i: $(grep VmHWM /proc/$p/status | tr -s ' ') cpu $(( (cpu1-${cpu0[$k]}) ))cs during loadgen; group: $(grep 'msg=group' console-$i.log | tail -1 | grep -o 'members=.*')"
  kill -INT $p
done
wait "${pids[@]}" 2>/dev/null
kill $mpid
for i in $(seq 1 $consoles); do
  echo "console-$i store: alerts $(sqlite3 console-$i.db 'select count(*) from alerts'), incidents by kind: $(sqlite3 console-$i.db "select kind||'='||count(*) from incidents group by kind" | tr '\n' ' ')"
done
echo "sent: $(wc -l < sent.jsonl) alert events"
python3 -c "import json;r=json.load(open('report.json'));print('report:',{k:r[k] for k in r if k in ('msgs_per_s','sent','failed','latency','max_lag_ms')})"
uptime
