//! The HTTP/2 connections a transport shares, per origin: a request takes
//! one with a free stream slot; at most one connection is being opened
//! to an origin that may speak HTTP/2 at a time, and the requests that
//! come meanwhile wait for it rather than each opening their own.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::super::maybe;
use super::super::pool::{Fnv, Origin, OriginParts, PoolKey};
use super::super::rt;
use super::H2Conn;
use crate::error::{Error, ErrorKind, Result};

/// The number of origins remembered before those with no connection are
/// forgotten.
const MAX_ORIGINS: usize = 256;

#[derive(Debug, Default)]
struct Entry {
    conns: Vec<Arc<H2Conn>>,
    /// A connection to the origin is being opened.
    opening: bool,
    /// Requests waiting for it.
    waiters: Vec<Arc<rt::Signal>>,
    /// The origin answered with HTTP/1.1: its requests use the pool alone.
    http1: bool,
}

type Map = HashMap<Arc<PoolKey>, Entry, BuildHasherDefault<Fnv>>;

/// The shared HTTP/2 connections of a transport. Cloning shares them.
#[derive(Debug, Clone)]
pub(crate) struct H2Pool {
    map: Arc<Mutex<Map>>,
    expiry: Option<Duration>,
}

/// What a request found.
#[derive(Debug)]
pub(crate) enum Pick {
    /// A connection with room for its stream.
    Use(Arc<H2Conn>),
    /// Its turn to open the origin's connection.
    Open(Opening),
    /// The origin speaks HTTP/1.1.
    Http1,
}

/// The turn to open an origin's connection; dropped without a verdict (the
/// connect failed), the next waiting request takes it.
#[derive(Debug)]
pub(crate) struct Opening {
    pool: H2Pool,
    key: Arc<PoolKey>,
    /// A connection to the origin at the server's stream limit, if any.
    pub(crate) full: Option<Arc<H2Conn>>,
}

impl Opening {
    /// The connection opened speaks HTTP/2: the waiting requests use it.
    pub(crate) fn publish(self, conn: Arc<H2Conn>) {
        self.pool
            .lock()
            .entry(self.key.clone())
            .or_default()
            .conns
            .push(conn);
    }

    /// The origin answered with HTTP/1.1.
    pub(crate) fn http1(self) {
        self.pool.lock().entry(self.key.clone()).or_default().http1 = true;
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        let mut map = self.pool.lock();
        if let Some(entry) = map.get_mut(&self.key) {
            entry.opening = false;
            for w in entry.waiters.drain(..) {
                w.notify();
            }
        }
    }
}

impl H2Pool {
    pub(crate) fn new(expiry: Option<Duration>) -> H2Pool {
        H2Pool {
            map: Arc::default(),
            expiry,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the connections no request uses (all, with `all`).
    pub(crate) fn close_idle(&self, all: bool) {
        let gone: Vec<Arc<H2Conn>> = {
            let mut map = self.lock();
            let now = Instant::now();
            let mut gone = Vec::new();
            for entry in map.values_mut() {
                let (keep, drop): (Vec<_>, Vec<_>) = entry
                    .conns
                    .drain(..)
                    .partition(|c| !all && c.idle_for(now).is_none());
                entry.conns = keep;
                gone.extend(drop);
            }
            gone
        };
        drop(gone);
    }

    /// Takes out the connection to an origin other than `key` that has
    /// been idle longest (no stream open, no request holding it), for the
    /// caller to close: its place in the pool goes to a request that finds
    /// every place taken.
    pub(crate) fn take_idle_other(&self, key: &Origin<'_>) -> Option<Arc<H2Conn>> {
        let now = Instant::now();
        let mut map = self.lock();
        let mut oldest: Option<(Arc<PoolKey>, usize, Duration)> = None;
        for (k, entry) in map.iter() {
            let other: &dyn OriginParts = &**k;
            if other == key as &dyn OriginParts {
                continue;
            }
            for (i, c) in entry.conns.iter().enumerate() {
                // Only the pool holds it: no request is about to use it.
                if Arc::strong_count(c) > 1 {
                    continue;
                }
                if let Some(idle) = c.idle_for(now) {
                    if oldest.as_ref().is_none_or(|(_, _, o)| idle > *o) {
                        oldest = Some((k.clone(), i, idle));
                    }
                }
            }
        }
        let (k, i, _) = oldest?;
        Some(map.get_mut(&k)?.conns.remove(i))
    }

    /// Looks once: a connection to use, the turn to open one, HTTP/1.1, or
    /// (`None`) a wait for the connection being opened, on `signal`.
    fn look(&self, key: &Origin<'_>, signal: &Arc<rt::Signal>) -> (Option<Pick>, Vec<Arc<H2Conn>>) {
        let now = Instant::now();
        let mut map = self.lock();
        let mut gone = Vec::new();
        let mut full = None;
        if let Some(entry) = map.get_mut(key as &dyn OriginParts) {
            let expiry = self.expiry;
            entry.conns.retain(|c| {
                let dead = c.is_dead()
                    || expiry.is_some_and(|e| c.idle_for(now).is_some_and(|idle| idle >= e));
                if dead {
                    gone.push(c.clone());
                }
                !dead
            });
            if let Some(conn) = entry.conns.iter().find(|c| c.can_open()) {
                return (Some(Pick::Use(conn.clone())), gone);
            }
            if entry.http1 {
                return (Some(Pick::Http1), gone);
            }
            if entry.opening {
                entry.waiters.push(signal.clone());
                return (None, gone);
            }
            entry.opening = true;
            full = entry.conns.first().cloned();
        } else {
            if map.len() >= MAX_ORIGINS {
                map.retain(|_, e| !e.conns.is_empty() || e.opening);
            }
            map.insert(
                Arc::new(PoolKey::new(key)),
                Entry {
                    opening: true,
                    ..Entry::default()
                },
            );
        }
        let (k, _) = map
            .get_key_value(key as &dyn OriginParts)
            .expect("inserted or found above");
        let opening = Opening {
            pool: self.clone(),
            key: k.clone(),
            full,
        };
        (Some(Pick::Open(opening)), gone)
    }
}

#[maybe]
impl H2Pool {
    /// A connection with a free stream for `key`, or the turn to open one
    /// (waiting at most `timeout` for one being opened), or HTTP/1.1.
    pub(crate) async fn pick(&self, key: &Origin<'_>, timeout: Option<Duration>) -> Result<Pick> {
        let until = timeout.and_then(|t| Instant::now().checked_add(t));
        let signal = Arc::new(rt::Signal::default());
        loop {
            let (found, gone) = self.look(key, &signal);
            drop(gone);
            if let Some(pick) = found {
                return Ok(pick);
            }
            let left = until.map(|u| u.saturating_duration_since(Instant::now()));
            if !signal.wait(left).await {
                let t = timeout.unwrap_or_default();
                return Err(Error::new(
                    ErrorKind::PoolTimeout,
                    format!(
                        "timed out after {t:?} waiting for the connection being opened to {}:{}",
                        key.host, key.port
                    ),
                ));
            }
        }
    }
}
