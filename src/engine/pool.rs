//! The connection pool, shared by every clone of a client: idle keep-alive
//! connections per origin, the `max_connections` limit on open connections,
//! and a fair (first come, first served) queue of requests waiting for one.
//!
//! The pool keeps its own bookkeeping: a checkout is a [`Lease`] (an idle
//! connection with its permit, key and idle time) or a [`Reservation`] (a
//! permit and key for a connection still to be opened, which becomes a
//! lease once it is). Every open connection's lease holds a [`Permit`];
//! dropping it (closing the connection) frees a place and wakes the first
//! waiter. The fast path, an idle connection for the origin, is one lock,
//! one pop and no allocation. The pool is generic over the connection, so
//! it knows nothing of sockets and its rules are tested without them.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::maybe;
use super::rt::Signal;
use crate::config::{Limits, PoolStatus};
use crate::error::{Error, ErrorKind, Result};

/// What identifies connections that may serve the same request: scheme, host
/// and port (proxy and TLS identity join it in their issues). Each lease
/// holds its key, so that checking it back in needs no allocation; a
/// request looks its origin up as an [`Origin`] borrowed from its URL.
#[derive(Debug)]
pub(crate) struct PoolKey {
    pub(crate) https: bool,
    /// Lowercase, without the brackets of an IPv6 address.
    pub(crate) host: Box<str>,
    pub(crate) port: u16,
    /// The way there: 0 direct, else the number of a proxy route.
    pub(crate) route: u64,
}

impl PoolKey {
    pub(crate) fn new(origin: &Origin<'_>) -> PoolKey {
        PoolKey {
            https: origin.https,
            host: origin.host.into(),
            port: origin.port,
            route: origin.route,
        }
    }

    fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}:{}", self.host, self.port)
    }
}

/// A [`PoolKey`] borrowed from a request: the fast path looks it up with no
/// allocation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    pub(crate) https: bool,
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    /// As [`PoolKey::route`].
    pub(crate) route: u64,
}

/// What the idle map hashes and compares, owned ([`PoolKey`]) or borrowed
/// ([`Origin`]), so that `HashMap<Arc<PoolKey>, _>` can be searched with an
/// `Origin` (the map's keys borrow as `dyn OriginParts`).
pub(crate) trait OriginParts {
    fn parts(&self) -> (bool, &str, u16, u64);
}

impl OriginParts for PoolKey {
    fn parts(&self) -> (bool, &str, u16, u64) {
        (self.https, &self.host, self.port, self.route)
    }
}

impl OriginParts for Origin<'_> {
    fn parts(&self) -> (bool, &str, u16, u64) {
        (self.https, self.host, self.port, self.route)
    }
}

impl Hash for dyn OriginParts + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for dyn OriginParts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn OriginParts + '_ {}

// `Arc<PoolKey>` hashes and compares exactly as its `dyn OriginParts` view.
impl Hash for PoolKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn OriginParts).hash(state);
    }
}

impl PartialEq for PoolKey {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for PoolKey {}

impl<'a> Borrow<dyn OriginParts + 'a> for Arc<PoolKey> {
    fn borrow(&self) -> &(dyn OriginParts + 'a) {
        &**self
    }
}

/// FNV-1a, the idle map's hash. Its keys are origins the program itself
/// chose to connect to, at most [`MAX_EMPTY_ORIGINS`] plus the idle
/// connections, so SipHash's resistance to chosen collisions buys nothing
/// here, and it cost more per request than the rest of the lookup.
#[derive(Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The number of origins kept in the idle map before empty entries are pruned.
const MAX_EMPTY_ORIGINS: usize = 256;

/// A request's place in the queue of waiters. Dropping it leaves the queue,
/// whether the request got a connection, timed out, or was cancelled (an
/// async request's future dropped): a request gone away never blocks the
/// ones behind it.
struct QueueSlot<'a, C> {
    pool: &'a Pool<C>,
    id: u64,
    signal: Arc<Signal>,
    queued: bool,
}

impl<C> Drop for QueueSlot<'_, C> {
    fn drop(&mut self) {
        if self.queued {
            self.pool.leave_queue(self.id);
        }
    }
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    signal: Arc<Signal>,
    /// The origin it waits for.
    key: Arc<PoolKey>,
}

#[derive(Debug)]
struct State<C> {
    #[allow(
        clippy::vec_box,
        reason = "a lease is moved out of its list and on through the transport and the response body: boxed, each move is a pointer"
    )]
    idle: HashMap<Arc<PoolKey>, Vec<Box<Lease<C>>>, BuildHasherDefault<Fnv>>,
    idle_count: usize,
    /// Open connections: idle, in use, and being connected.
    open: usize,
    /// The same, per origin (origins with none are not kept).
    open_per_origin: HashMap<Arc<PoolKey>, usize, BuildHasherDefault<Fnv>>,
    waiters: VecDeque<Waiter>,
    next_waiter: u64,
    closed: bool,
}

impl<C> State<C> {
    fn open_to(&self, key: &dyn OriginParts) -> usize {
        self.open_per_origin.get(key).copied().unwrap_or(0)
    }

    fn count_open(&mut self, key: &Arc<PoolKey>) {
        *self.open_per_origin.entry(key.clone()).or_insert(0) += 1;
    }

    fn uncount_open(&mut self, key: &PoolKey) {
        if let Some(n) = self.open_per_origin.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                self.open_per_origin.remove(key);
            }
        }
    }

    /// Whether waiter `w` can get nothing now for a reason of its own
    /// origin (every connection the per-host limit allows is open and in
    /// use), so that a waiter behind it, for another origin, may go first.
    fn stuck_on_own_origin(&self, w: &Waiter, per_host: Option<usize>, other: &Origin<'_>) -> bool {
        per_host.is_some_and(|m| {
            (w.key.as_ref() as &dyn OriginParts) != (other as &dyn OriginParts)
                && self.open_to(w.key.as_ref()) >= m
                && self.idle.get(w.key.as_ref()).is_none_or(Vec::is_empty)
        })
    }

    /// Tells waiters that something changed: the first one, or, with a
    /// per-host limit (where the first may be unable to use it), all.
    fn wake(&self, per_host: Option<usize>) {
        if per_host.is_some() {
            for w in &self.waiters {
                w.signal.notify();
            }
        } else if let Some(w) = self.waiters.front() {
            w.signal.notify();
        }
    }
}

impl<C> Default for State<C> {
    fn default() -> State<C> {
        State {
            idle: HashMap::default(),
            idle_count: 0,
            open: 0,
            open_per_origin: HashMap::default(),
            waiters: VecDeque::new(),
            next_waiter: 0,
            closed: false,
        }
    }
}

#[derive(Debug)]
struct Shared<C> {
    state: Mutex<State<C>>,
    limits: Limits,
}

impl<C> Shared<C> {
    fn lock(&self) -> MutexGuard<'_, State<C>> {
        // Every change under the lock is a few field updates that cannot
        // panic half way: a poisoned lock still guards consistent state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One place among the `max_connections`: held by an open connection (or one
/// being opened). Dropping it frees the place and wakes the first waiter.
#[derive(Debug)]
pub(crate) struct Permit<C> {
    shared: Arc<Shared<C>>,
    /// The origin whose connection holds it.
    key: Arc<PoolKey>,
}

impl<C> Drop for Permit<C> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.open -= 1;
        state.uncount_open(&self.key);
        state.wake(self.shared.limits.max_connections_per_host_limit());
    }
}

/// A connection and what the pool knows of it: its place among the
/// `max_connections`, its key, and since when it sat idle. It derefs to
/// the connection. Dropping it closes the connection and frees its place.
#[derive(Debug)]
pub(crate) struct Lease<C> {
    // Declared first, so dropped first: the connection closes before its
    // place is given to a waiter.
    conn: C,
    permit: Permit<C>,
    idle_since: Instant,
}

impl<C> Lease<C> {
    /// The connection opened for `reservation`, as a lease (boxed: each
    /// move through the transport and the response body is a pointer).
    pub(crate) fn new(conn: C, reservation: Reservation<C>) -> Box<Lease<C>> {
        Box::new(Lease {
            conn,
            permit: reservation.permit,
            idle_since: Instant::now(),
        })
    }

    /// Gives the place up without closing anything: for an idle
    /// connection found dead, whose place goes to a new one.
    fn into_reservation(self) -> Reservation<C> {
        let Lease { permit, .. } = self;
        Reservation { permit }
    }
}

impl<C> Deref for Lease<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.conn
    }
}

impl<C> DerefMut for Lease<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.conn
    }
}

/// A place among the `max_connections` for a connection to `key` that is
/// still to be opened: the connection opened becomes a [`Lease`]; dropping
/// the reservation (the connect failed) frees the place.
#[derive(Debug)]
pub(crate) struct Reservation<C> {
    permit: Permit<C>,
}

impl<C> Reservation<C> {
    /// Where the connection goes.
    pub(crate) fn key(&self) -> &PoolKey {
        &self.permit.key
    }
}

/// What a pool can ask of a connection it keeps.
pub(crate) trait Probe {
    /// Whether the peer closed it (or sent bytes nobody asked for) while it
    /// sat idle, seen without waiting.
    fn peer_gone(&self) -> bool;
}

/// What `acquire` found: an idle connection, or a place to open a new one.
#[derive(Debug)]
pub(crate) enum Checkout<C> {
    /// An idle connection, and how long it sat idle.
    Idle(Box<Lease<C>>, Duration),
    /// A place for a new connection.
    New(Reservation<C>),
}

/// How long a connection sits idle before its checkout looks at the socket
/// for a server that closed it meanwhile. Back-to-back requests (the hot
/// path) never pay for the look; a server's keep-alive timeout is seconds
/// (gunicorn 2 s, Apache and Node 5 s, nginx 75 s), so a connection idle
/// for less than this is very unlikely to have been closed.
const PROBE_AFTER_IDLE: Duration = Duration::from_secs(1);

impl<C: Probe> Checkout<C> {
    /// This checkout, or, for an idle connection that sat unused for a while
    /// and that its server has closed (or sent unasked bytes on, such as a
    /// `408` before closing), the place of that connection for a new one.
    /// Without the look, a request sent on such a connection fails (a
    /// streaming POST cannot be retried) or reads the stale `408` as its
    /// answer. httpcore looks on every checkout; hyper watches idle
    /// connections from its runtime.
    fn unless_peer_gone(self) -> Checkout<C> {
        match self {
            Checkout::Idle(lease, idle) if idle >= PROBE_AFTER_IDLE && lease.peer_gone() => {
                Checkout::New((*lease).into_reservation())
            }
            other => other,
        }
    }
}

/// A pool of connections. Cloning it shares it.
#[derive(Debug)]
pub(crate) struct Pool<C> {
    shared: Arc<Shared<C>>,
}

impl<C> Clone for Pool<C> {
    fn clone(&self) -> Pool<C> {
        Pool {
            shared: self.shared.clone(),
        }
    }
}

impl<C> Pool<C> {
    pub(crate) fn new(limits: Limits) -> Pool<C> {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                limits,
            }),
        }
    }

    /// One look for the request queued as `my_id` (or not queued): its
    /// turn comes when every request queued before it is held up by its
    /// own origin's limit (none is, without a per-host limit: then only
    /// the first in the queue may look).
    fn look(
        &self,
        state: &mut State<C>,
        key: &Origin<'_>,
        my_id: Option<u64>,
        now: Instant,
        garbage: &mut Garbage<C>,
    ) -> Option<Checkout<C>> {
        let per_host = self.shared.limits.max_connections_per_host_limit();
        let my_turn = state
            .waiters
            .iter()
            .take_while(|w| Some(w.id) != my_id)
            .all(|w| state.stuck_on_own_origin(w, per_host, key));
        if my_turn {
            self.try_acquire(state, key, now, garbage)
        } else {
            None
        }
    }

    /// Without waiting: an idle connection for `key`, or a new place, or
    /// `None` when every place is taken. Connections that must be closed
    /// (expired, or evicted to make room) go to `garbage`, to be dropped after
    /// the lock is released (their permits take it).
    fn try_acquire(
        &self,
        state: &mut State<C>,
        key: &Origin<'_>,
        now: Instant,
        garbage: &mut Garbage<C>,
    ) -> Option<Checkout<C>> {
        let expiry = self.shared.limits.keepalive_expiry_limit();
        if let Some(list) = state.idle.get_mut(key as &dyn OriginParts) {
            while let Some(lease) = list.pop() {
                state.idle_count -= 1;
                let idle = now.saturating_duration_since(lease.idle_since);
                if expiry.is_some_and(|e| idle >= e) {
                    garbage.leases.push(lease);
                    continue;
                }
                // The emptied list stays, so that checking the connection
                // back in costs no allocation.
                return Some(Checkout::Idle(lease, idle));
            }
        }
        let per_host = self.shared.limits.max_connections_per_host_limit();
        if per_host.is_some_and(|m| state.open_to(key) >= m) {
            return None;
        }
        let max = self.shared.limits.max_connections_limit();
        if max.is_none_or(|m| state.open < m) {
            state.open += 1;
            let key = Arc::new(PoolKey::new(key));
            state.count_open(&key);
            return Some(Checkout::New(Reservation {
                permit: Permit {
                    shared: self.shared.clone(),
                    key,
                },
            }));
        }
        // Full, but an idle connection to another origin can make room: its
        // place goes to this request.
        let oldest = oldest_idle(state)?;
        let lease = take_idle(state, &oldest);
        let Lease {
            conn, mut permit, ..
        } = *lease;
        garbage.conns.push(conn);
        state.uncount_open(&permit.key);
        permit.key = Arc::new(PoolKey::new(key));
        state.count_open(&permit.key);
        Some(Checkout::New(Reservation { permit }))
    }
}

fn closed() -> Error {
    Error::new(ErrorKind::Closed, "the client was closed")
}

/// What a look at the pool closes: dropped after the lock is released
/// (a lease's permit takes the lock when it goes).
struct Garbage<C> {
    #[allow(clippy::vec_box, reason = "the pool's boxed leases, see `State::idle`")]
    leases: Vec<Box<Lease<C>>>,
    /// Connections whose place was given to another request.
    conns: Vec<C>,
}

impl<C> Default for Garbage<C> {
    fn default() -> Garbage<C> {
        Garbage {
            leases: Vec::new(),
            conns: Vec::new(),
        }
    }
}

/// The key whose oldest idle connection has been idle the longest.
fn oldest_idle<C>(state: &State<C>) -> Option<Arc<PoolKey>> {
    state
        .idle
        .iter()
        .filter_map(|(k, v)| v.first().map(|c| (k, c.idle_since)))
        .min_by_key(|(_, t)| *t)
        .map(|(k, _)| k.clone())
}

/// Removes the oldest idle connection of `key`.
fn take_idle<C>(state: &mut State<C>, key: &PoolKey) -> Box<Lease<C>> {
    let list = state.idle.get_mut(key).expect("key has idle connections");
    let conn = list.remove(0);
    if list.is_empty() {
        state.idle.remove(key);
    }
    state.idle_count -= 1;
    conn
}

#[maybe]
impl<C: Probe> Pool<C> {
    /// An idle connection to `key` or a place for a new one if there is
    /// one now, without joining the queue of requests waiting for one;
    /// `None` when every place is taken.
    pub(crate) fn acquire_now(
        &self,
        key: &Origin<'_>,
        now: Instant,
    ) -> Result<Option<Checkout<C>>> {
        let mut garbage = Garbage::default();
        let found = {
            let mut state = self.shared.lock();
            if state.closed {
                return Err(closed());
            }
            self.look(&mut state, key, None, now, &mut garbage)
        };
        drop(garbage);
        Ok(found.map(Checkout::unless_peer_gone))
    }

    /// An idle connection to `key`, or a permit to open one, waiting at most
    /// `timeout` (the pool timeout) for a place. Waiters are served first
    /// come, first served. `now` is the caller's fresh reading of the clock:
    /// the pool timeout runs from it, and it dates the first look at the
    /// idle connections.
    pub(crate) async fn acquire(
        &self,
        key: &Origin<'_>,
        timeout: Option<Duration>,
        mut now: Instant,
    ) -> Result<Checkout<C>> {
        // A timeout too large for the clock (`Duration::MAX`) is none.
        let deadline = timeout.and_then(|t| now.checked_add(t));
        let mut me: Option<QueueSlot<'_, C>> = None;
        loop {
            let mut garbage = Garbage::default();
            let found = {
                let mut state = self.shared.lock();
                if state.closed {
                    return Err(closed());
                }
                let per_host = self.shared.limits.max_connections_per_host_limit();
                let my_id = me.as_ref().map(|m| m.id);
                let found = self.look(&mut state, key, my_id, now, &mut garbage);
                match (&found, me.as_mut()) {
                    (Some(_), Some(slot)) => {
                        // Leave the queue and let the next waiter look too:
                        // more than one place may have come free.
                        let id = slot.id;
                        state.waiters.retain(|w| w.id != id);
                        slot.queued = false;
                        state.wake(per_host);
                    }
                    (None, None) => {
                        let id = state.next_waiter;
                        let signal = Arc::new(Signal::default());
                        state.next_waiter += 1;
                        state.waiters.push_back(Waiter {
                            id,
                            signal: signal.clone(),
                            key: Arc::new(PoolKey::new(key)),
                        });
                        me = Some(QueueSlot {
                            pool: self,
                            id,
                            signal,
                            queued: true,
                        });
                    }
                    _ => {}
                }
                found
            };
            drop(garbage);
            if let Some(found) = found {
                return Ok(found.unless_peer_gone());
            }
            let waiter = me.as_ref().expect("queued above");
            now = Instant::now();
            let left = deadline.map(|d| d.saturating_duration_since(now));
            let woken = left != Some(Duration::ZERO) && waiter.signal.wait(left).await;
            now = Instant::now();
            if !woken && deadline.is_some_and(|d| now >= d) {
                // Dropping the slot leaves the queue.
                let t = timeout.unwrap_or_default();
                let limits = &self.shared.limits;
                let which = match limits.max_connections_per_host_limit() {
                    Some(m) if self.shared.lock().open_to(key) >= m => {
                        format!("all {m} allowed to this host in use")
                    }
                    _ => format!("all {} in use", limits.max_connections_limit().unwrap_or(0)),
                };
                return Err(Error::new(
                    ErrorKind::PoolTimeout,
                    format!(
                        "timed out after {t:?} waiting for a free connection to {}:{} ({which})",
                        key.host, key.port,
                    ),
                ));
            }
        }
    }
}

impl<C> Pool<C> {
    fn leave_queue(&self, id: u64) {
        let mut state = self.shared.lock();
        let was_first = state.waiters.front().is_some_and(|w| w.id == id);
        state.waiters.retain(|w| w.id != id);
        let per_host = self.shared.limits.max_connections_per_host_limit();
        if was_first || per_host.is_some() {
            state.wake(per_host);
        }
    }

    /// Returns a connection whose exchange finished cleanly, for reuse.
    pub(crate) fn checkin(&self, mut lease: Box<Lease<C>>) {
        let max_idle = self.shared.limits.max_keepalive_limit();
        let mut garbage = Vec::new();
        {
            let mut state = self.shared.lock();
            if state.closed || max_idle == Some(0) {
                garbage.push(lease);
            } else {
                lease.idle_since = Instant::now();
                match state.idle.get_mut(lease.permit.key.as_ref()) {
                    Some(list) => list.push(lease),
                    None => {
                        if state.idle.len() >= MAX_EMPTY_ORIGINS {
                            // Forget origins with nothing idle, so that a
                            // client talking to many hosts does not grow the map.
                            state.idle.retain(|_, v| !v.is_empty());
                        }
                        let key = lease.permit.key.clone();
                        state.idle.insert(key, vec![lease]);
                    }
                }
                state.idle_count += 1;
                while max_idle.is_some_and(|m| state.idle_count > m) {
                    // Close the connection idle the longest.
                    let Some(k) = oldest_idle(&state) else { break };
                    garbage.push(take_idle(&mut state, &k));
                }
                state.wake(self.shared.limits.max_connections_per_host_limit());
            }
        }
        drop(garbage);
    }

    /// Closes every idle connection; with `refuse`, later requests fail.
    pub(crate) fn close_idle(&self, refuse: bool) {
        let garbage: Vec<Box<Lease<C>>> = {
            let mut state = self.shared.lock();
            state.closed |= refuse;
            state.idle_count = 0;
            let waiters: Vec<_> = state.waiters.iter().map(|w| w.signal.clone()).collect();
            for w in waiters {
                w.notify(); // they see `closed` (or a free place) and act on it
            }
            state.idle.drain().flat_map(|(_, v)| v).collect()
        };
        drop(garbage);
    }

    /// Whether a new connection to `key` is held back by the per-host
    /// limit (then closing another origin's connection would not help it).
    pub(crate) fn at_host_limit(&self, key: &Origin<'_>) -> bool {
        let per_host = self.shared.limits.max_connections_per_host_limit();
        per_host.is_some_and(|m| self.shared.lock().open_to(key) >= m)
    }

    /// A snapshot of the pool.
    pub(crate) fn status(&self) -> PoolStatus {
        let state = self.shared.lock();
        let mut idle_per_origin: Vec<(String, usize)> = state
            .idle
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.origin(), v.len()))
            .collect();
        idle_per_origin.sort();
        PoolStatus {
            open: state.open,
            idle: state.idle_count,
            idle_per_origin,
            waiting: state.waiters.len(),
        }
    }
}

#[cfg(test)]
mod tests;
