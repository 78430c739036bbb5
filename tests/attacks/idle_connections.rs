//! (j) 2,000 idle TCP connections to one validator's REST port: half send nothing at all,
//! half the start of a request head that never ends. Before issue 29 the node held every one
//! of them open indefinitely (no header-read or idle timeout, no connection cap).

use std::time::Duration;

use anyhow::Result;

use crate::harness::{self, connect_from, AttackCtx, Plan};

/// Connections opened.
const CONNECTIONS: usize = 2_000;
/// Addresses they come from (500 each).
const ADDRESSES: usize = 4;
/// The validator attacked: the bank's.
const TARGET: usize = 1;
/// What the slow half sends: a request head with no blank line after it.
const PARTIAL_HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";

#[test]
fn two_thousand_idle_connections_leave_the_validators_committing() {
    harness::run(
        "idle-connections",
        Plan { attacked: &[TARGET], probe_node: TARGET, duration: Duration::from_secs(20) },
        |_| Ok(()),
        hold,
    );
}

/// True if the node has closed (or reset) the connection.
fn closed(stream: &tokio::net::TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.try_read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
        Err(_) => true,
    }
}

async fn hold(ctx: AttackCtx, (): ()) -> Result<String> {
    let port = ctx.target.ports[TARGET];
    let mut idle = Vec::new();
    let mut slow = Vec::new();
    let mut refused = 0usize;
    for c in 0..CONNECTIONS {
        if ctx.stopped() {
            break;
        }
        match connect_from(c % ADDRESSES, port).await {
            Ok(stream) => {
                if c % 2 == 0 {
                    idle.push(stream);
                } else if stream.writable().await.is_ok()
                    && stream.try_write(PARTIAL_HEAD).is_ok_and(|n| n == PARTIAL_HEAD.len())
                {
                    slow.push(stream);
                } else {
                    refused += 1;
                }
            }
            Err(_) => refused += 1,
        }
    }
    let opened = idle.len() + slow.len();
    ctx.engaged();
    ctx.until_stopped().await;
    let idle_closed = idle.iter().filter(|s| closed(s)).count();
    let slow_closed = slow.iter().filter(|s| closed(s)).count();
    Ok(format!(
        "{opened} of {CONNECTIONS} connections opened ({refused} refused or failed); by the end the node had closed \
         {idle_closed} of {} silent ones and {slow_closed} of {} with an unfinished request head",
        idle.len(),
        slow.len()
    ))
}
