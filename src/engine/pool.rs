//! The per-origin pool of idle keep-alive connections, shared by every clone
//! of a client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::conn::Conn;
use crate::config::Limits;

/// What identifies connections that may serve the same request: scheme, host
/// and port (proxy and TLS identity join it in their issues).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub(crate) scheme: String,
    pub(crate) host: String,
    pub(crate) port: u16,
}

#[derive(Debug, Default)]
struct PoolState {
    idle: HashMap<PoolKey, Vec<Conn>>,
    idle_count: usize,
}

/// A pool of idle connections. Cloning it shares it.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    state: Arc<Mutex<PoolState>>,
    limits: Limits,
}

impl Pool {
    pub(crate) fn new(limits: Limits) -> Pool {
        Pool {
            state: Arc::default(),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every change is one push or pop): keep using it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An idle connection to `key`, most recently used first; connections idle
    /// past the keep-alive expiry are closed, never reused.
    pub(crate) fn checkout(&self, key: &PoolKey) -> Option<Conn> {
        let expiry = self.limits.keepalive_expiry_limit();
        let mut state = self.lock();
        let mut found = None;
        let mut removed = 0;
        if let Some(list) = state.idle.get_mut(key) {
            while let Some(conn) = list.pop() {
                removed += 1;
                if expiry.is_some_and(|e| conn.idle_since.elapsed() >= e) {
                    continue; // dropped: closed
                }
                found = Some(conn);
                break;
            }
            if list.is_empty() {
                state.idle.remove(key);
            }
        }
        state.idle_count -= removed;
        found
    }

    /// Returns a connection whose exchange finished cleanly.
    pub(crate) fn checkin(&self, key: PoolKey, mut conn: Conn) {
        let max_idle = self.limits.max_keepalive_limit();
        if max_idle == Some(0) {
            return;
        }
        conn.idle_since = Instant::now();
        let mut state = self.lock();
        state.idle.entry(key).or_default().push(conn);
        state.idle_count += 1;
        if let Some(max) = max_idle {
            while state.idle_count > max {
                // Close the connection idle the longest.
                let oldest = state
                    .idle
                    .iter()
                    .filter_map(|(k, v)| v.first().map(|c| (k.clone(), c.idle_since)))
                    .min_by_key(|(_, t)| *t)
                    .map(|(k, _)| k);
                let Some(k) = oldest else { break };
                let list = state.idle.get_mut(&k).expect("key just found");
                list.remove(0);
                if list.is_empty() {
                    state.idle.remove(&k);
                }
                state.idle_count -= 1;
            }
        }
    }

    /// How many idle connections are kept, in all.
    pub(crate) fn idle_count(&self) -> usize {
        self.lock().idle_count
    }

    /// Closes every idle connection.
    pub(crate) fn clear(&self) {
        let mut state = self.lock();
        state.idle.clear();
        state.idle_count = 0;
    }
}
