//! Local ports for servers a test starts in another process.
//!
//! A port found by binding port 0 and closing the listener comes from the
//! kernel's ephemeral range, the same range every outgoing connection takes
//! its local port from. Between the close and the child's own bind, a test
//! connecting to PostgreSQL or SMTP can be given that very port, and the
//! child then fails with "address already in use". Ports handed out here
//! lie below that range, where outgoing connections never land, and one
//! process never hands out the same port twice.

use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

/// The lowest port handed out: above the registered services people run
/// on development machines.
const LOWEST: u32 = 20_000;

/// Where the kernel's ephemeral range starts when it cannot be read.
const EPHEMERAL_DEFAULT: u32 = 32_768;

/// A local port nothing listens on now, below the ephemeral range.
///
/// Successive calls in one process walk the range from a start that
/// depends on the process id, so parallel tests in one binary never get
/// the same port and test binaries started one after another rarely do.
/// When no port below the ephemeral range can be bound (a machine whose
/// range starts low), the kernel's own choice is answered.
///
/// # Panics
/// When no local port can be bound at all.
#[must_use]
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ephemeral = ephemeral_start().unwrap_or(EPHEMERAL_DEFAULT);
    let span = ephemeral.saturating_sub(LOWEST);
    let start = std::process::id().wrapping_mul(7_919);
    for _ in 0..span.min(256) {
        let step = NEXT.fetch_add(1, Ordering::Relaxed);
        let candidate = LOWEST + start.wrapping_add(step) % span;
        if let Ok(port) = u16::try_from(candidate)
            && TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
        {
            return port;
        }
    }
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("no free local port: {e}"))
}

/// The first port of the kernel's ephemeral range, on Linux.
fn ephemeral_start() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_bindable_and_below_the_ephemeral_range() {
        let ephemeral = ephemeral_start().unwrap_or(EPHEMERAL_DEFAULT);
        let ports: Vec<u16> = (0..64).map(|_| free_port()).collect();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len(), "a port was handed out twice");
        for port in ports {
            assert!(
                u32::from(port) >= LOWEST && u32::from(port) < ephemeral,
                "{port} is outside {LOWEST}..{ephemeral}"
            );
            TcpListener::bind((Ipv4Addr::LOCALHOST, port))
                .unwrap_or_else(|e| panic!("port {port} cannot be bound: {e}"));
        }
    }
}
