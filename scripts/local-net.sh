#!/usr/bin/env bash
# Builds ebl-node and runs a local network of four validators on 127.0.0.1 — a carrier, a bank,
# customs and a terminal — each with its own key, configuration and RocksDB directory under
# ${EBL_NET_DIR:-./.local-net}. Prints each node's committed height every few seconds; Ctrl-C stops
# them all. (The one-command testnet with the bill-of-lading demo is `ebl-testnet`, issue #5.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ebl-ledger-target}"
cargo build -p ebl-node
cargo build -p ebl-client --bin ebl
BIN="$CARGO_TARGET_DIR/debug/ebl-node"
EBL="$CARGO_TARGET_DIR/debug/ebl"
DIR="${EBL_NET_DIR:-./.local-net}"
rm -rf "$DIR"
mkdir -p "$DIR"
names=(carrier bank customs terminal)
roles=("CARRIER,REGISTRAR" "BANK" "CUSTOMS" "TERMINAL")
base="${EBL_NET_PORT:-27100}"
specs=()
for i in "${!names[@]}"; do
  n=${names[$i]}
  "$BIN" init --home "$DIR/$n" --moniker "$n" \
    --p2p-listen "/ip4/127.0.0.1/tcp/$((base + i))" --rpc-listen "127.0.0.1:$((base + 100 + i))" >/dev/null
  specs+=(--validator "$DIR/$n:${roles[$i]}")
done
"$BIN" genesis --chain-id ebl-local-1 "${specs[@]}"
pids=()
for n in "${names[@]}"; do
  RUST_LOG="${RUST_LOG:-ebl_node=info}" "$BIN" run --home "$DIR/$n" 2>"$DIR/$n/node.log" &
  pids+=($!)
done
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; echo "stopped; logs and data are in $DIR"' EXIT
echo "four validators running; REST on 127.0.0.1:$((base + 100))-$((base + 103)); logs in $DIR/<name>/node.log"

# A short demo with the `ebl` CLI: each party signs with its own key on its own node; titles are
# verified locally against the genesis validators. (The full story is `ebl-testnet`, issue #5.)
ebl_as() { # ebl_as NAME NODE_INDEX ARGS...
  "$EBL" --node "http://127.0.0.1:$((base + 100 + $2))" --key "$DIR/$1/node_key.json" \
    --genesis "$DIR/carrier/genesis.json" "${@:3}"
}
for _ in $(seq 1 60); do ebl_as carrier 0 status >/dev/null 2>&1 && break; sleep 1; done
carrier=$(sed -n 's/.*"party": *"\(ebl:[0-9a-f]*\)".*/\1/p' "$DIR/carrier/node_key.json")
bl="62CD536BA8D34C469AFD@$carrier"
echo "== the carrier issues the DCSA regularSTDExample to order of the bank"
ebl_as carrier 0 bl issue --document ledger/tests/fixtures/dcsa/regularSTDExample.json \
  --issue-to "$DIR/bank/node_key.json" --shipper "$DIR/bank/node_key.json" --endorsee "$DIR/bank/node_key.json" || true
echo "== customs verifies the title on its own node"
ebl_as customs 2 verify "$bl" || true
echo "== the bank runs a finance check"
ebl_as bank 1 finance-check "$bl" --to-order-of-bank || true
echo "== try it yourself, e.g.: $EBL --node http://127.0.0.1:$((base + 102)) --key $DIR/customs/node_key.json --genesis $DIR/carrier/genesis.json history '$bl'"
echo "Ctrl-C stops the network"
while sleep 3; do
  line=""
  for n in "${names[@]}"; do
    h=$(grep -o 'committed height=[0-9]*' "$DIR/$n/node.log" 2>/dev/null | tail -1 | cut -d= -f2)
    line+="$n=${h:-0} "
  done
  echo "heights: $line"
done
