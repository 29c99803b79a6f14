//! The pool's rules with no sockets: a fake connection that says
//! whether its peer went away. Each scenario is written once and run
//! by both engine copies (`rt::run_test`).
#![allow(
    clippy::unit_arg,
    reason = "in the blocking copy a scenario has run and returns ()"
)]

use super::super::rt::run_test;
use super::*;
use std::sync::Mutex;

#[derive(Debug, PartialEq)]
struct Fake {
    id: u32,
    gone: bool,
}

impl Probe for Fake {
    fn peer_gone(&self) -> bool {
        self.gone
    }
}

fn origin(host: &str) -> Origin<'_> {
    Origin {
        https: false,
        host,
        port: 80,
        route: 0,
    }
}

fn pool(limits: Limits) -> Pool<Fake> {
    Pool::new(limits)
}

/// A new connection for `host` at `now`, as a lease; panics on an idle one.
#[maybe]
async fn open(pool: &Pool<Fake>, host: &str, id: u32, now: Instant) -> Box<Lease<Fake>> {
    match pool.acquire(&origin(host), None, now).await.unwrap() {
        Checkout::New(r) => {
            assert_eq!(&*r.key().host, host);
            Lease::new(Fake { id, gone: false }, r)
        }
        Checkout::Idle(l, _) => panic!("expected a new place, got idle {:?}", l.conn),
    }
}

/// What a checkout for `host` at `now` gives: `Some(id)` of an idle
/// connection, `None` for a new place.
#[maybe]
async fn look(pool: &Pool<Fake>, host: &str, now: Instant) -> Option<u32> {
    match pool.acquire(&origin(host), None, now).await.unwrap() {
        Checkout::Idle(l, _) => Some(l.id),
        Checkout::New(_) => None,
    }
}

#[maybe]
async fn limits_and_reservations() {
    let p = pool(Limits::default().max_connections(2));
    let now = Instant::now();
    let a = open(&p, "a", 1, now).await;
    let _b = open(&p, "b", 2, now).await;
    assert_eq!(p.status().open, 2);
    // Full: a third waits, and times out.
    let e = p
        .acquire(&origin("c"), Some(Duration::from_millis(30)), now)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PoolTimeout, "{e:?}");
    assert_eq!(
        p.status().waiting,
        0,
        "a timed-out request leaves the queue"
    );
    // A lease dropped (its connection closed) frees its place.
    drop(a);
    assert_eq!(p.status().open, 1);
    let _c = open(&p, "c", 3, Instant::now()).await;
    assert_eq!(p.status().open, 2);
}

#[test]
fn reservations_are_bounded_by_max_connections() {
    run_test(limits_and_reservations());
}

#[maybe]
async fn idle_reuse_by_origin() {
    let p = pool(Limits::default());
    let now = Instant::now();
    let a = open(&p, "a", 7, now).await;
    p.checkin(a);
    let s = p.status();
    assert_eq!((s.open, s.idle), (1, 1));
    let got = look(&p, "b", now).await;

    assert_eq!(got, None, "another origin: a new place");
    let got = look(&p, "a", now).await;

    assert_eq!(got, Some(7), "the same origin: the idle one");
    let s = p.status();
    assert_eq!(
        (s.open, s.idle),
        (0, 0),
        "what a look took it dropped: closed, places freed"
    );
}

#[test]
fn idle_connections_serve_their_origin() {
    run_test(idle_reuse_by_origin());
}

#[maybe]
async fn expiry_and_keepalive_cap() {
    let p = pool(
        Limits::default()
            .keepalive_expiry(Duration::from_secs(5))
            .max_keepalive_connections(1),
    );
    let now = Instant::now();
    let (a, b) = (open(&p, "h", 1, now).await, open(&p, "h", 2, now).await);
    p.checkin(a);
    p.checkin(b);
    let s = p.status();
    assert_eq!(
        (s.open, s.idle),
        (1, 1),
        "over max_keepalive: the older one closed"
    );
    // Idle past keepalive_expiry when looked at: closed, a new place.
    let got = look(&p, "h", Instant::now() + Duration::from_secs(6)).await;

    assert_eq!(got, None);
    assert_eq!(p.status().idle, 0);
    assert_eq!(
        p.status().open,
        0,
        "the expired one closed, the new place dropped"
    );
}

#[test]
fn idle_connections_expire_and_are_capped() {
    run_test(expiry_and_keepalive_cap());
}

#[maybe]
async fn probe_after_idle() {
    let p = pool(Limits::default());
    let now = Instant::now();
    let mut a = open(&p, "h", 1, now).await;
    a.gone = true;
    p.checkin(a);
    // Idle for less than PROBE_AFTER_IDLE: not looked at.
    let got = look(&p, "h", Instant::now()).await;

    assert_eq!(got, Some(1));
    let mut a = open(&p, "h", 2, now).await;
    a.gone = true;
    p.checkin(a);
    // Idle for longer, and gone: its place goes to a new connection.
    let got = look(&p, "h", Instant::now() + PROBE_AFTER_IDLE).await;

    assert_eq!(got, None);
    let b = open(&p, "h", 3, now).await;
    p.checkin(b);
    let got = look(&p, "h", Instant::now() + PROBE_AFTER_IDLE).await;

    assert_eq!(got, Some(3), "still there");
}

#[test]
fn long_idle_connections_are_probed() {
    run_test(probe_after_idle());
}

#[maybe]
async fn full_pool_takes_room_from_other_origins() {
    let p = pool(Limits::default().max_connections(1));
    let now = Instant::now();
    let a = open(&p, "a", 1, now).await;
    p.checkin(a);
    // Full with a's idle connection: b gets its place, a's closes.
    let _b = open(&p, "b", 2, now).await;
    let s = p.status();
    assert_eq!((s.open, s.idle), (1, 0));
}

#[test]
fn idle_connections_of_other_origins_make_room() {
    run_test(full_pool_takes_room_from_other_origins());
}

#[maybe]
async fn closing() {
    let p = pool(Limits::default());
    let a = open(&p, "a", 1, Instant::now()).await;
    p.close_idle(true);
    p.checkin(a);
    assert_eq!(p.status().open, 0, "checked in after close: closed");
    let e = p
        .acquire(&origin("a"), None, Instant::now())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed);
}

#[test]
fn a_closed_pool_refuses() {
    run_test(closing());
}

#[maybe]
async fn routes_do_not_mix() {
    let p = pool(Limits::default());
    let now = Instant::now();
    let a = open(&p, "h", 1, now).await;
    p.checkin(a);
    // The same origin through a proxy (route 5): not the direct connection.
    let via = Origin {
        route: 5,
        ..origin("h")
    };
    let got = p.acquire(&via, None, now).await.unwrap();
    let Checkout::New(r) = got else {
        panic!("a proxied request got the direct connection");
    };
    assert_eq!(r.key().route, 5);
    p.checkin(Lease::new(Fake { id: 2, gone: false }, r));
    // Each route finds its own.
    match p.acquire(&via, None, now).await.unwrap() {
        Checkout::Idle(l, _) => assert_eq!(l.id, 2),
        Checkout::New(_) => panic!("the proxied connection was not kept"),
    }
    let direct = look(&p, "h", now).await;
    assert_eq!(direct, Some(1));
}

#[test]
fn connections_through_a_proxy_and_direct_never_mix() {
    run_test(routes_do_not_mix());
}

#[maybe]
async fn first_come_first_served() {
    let p = pool(Limits::default().max_connections(1));
    let held = open(&p, "h", 0, Instant::now()).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for i in 1..=4u32 {
        let (p2, order2) = (p.clone(), order.clone());
        waiters.push(super::super::rt::spawn_test(move || async move {
            let got = p2
                .acquire(&origin("h"), Some(Duration::from_secs(10)), Instant::now())
                .await
                .expect("served before the pool timeout");
            order2.lock().unwrap().push(i);
            // Held a moment, so the next waiter finds the place taken
            // and must wait for its turn, not race for it.
            super::super::rt::sleep(Duration::from_millis(5)).await;
            drop(got);
        }));
        // Queued in this order: the next starts once this one waits.
        let mut tries = 0;
        while p.status().waiting < i as usize {
            tries += 1;
            assert!(tries < 2_000, "waiter {i} never queued");
            super::super::rt::sleep(Duration::from_millis(1)).await;
        }
    }
    drop(held);
    for w in waiters {
        super::super::rt::join_test(w).await;
    }
    assert_eq!(*order.lock().unwrap(), [1, 2, 3, 4]);
    assert_eq!(p.status().waiting, 0);
}

#[test]
fn waiters_are_served_in_the_order_they_came() {
    run_test(first_come_first_served());
}

#[maybe]
async fn per_host_limit() {
    let p = pool(
        Limits::default()
            .max_connections(10)
            .max_connections_per_host(2),
    );
    let now = Instant::now();
    let a = open(&p, "h", 1, now).await;
    let _b = open(&p, "h", 2, now).await;
    // The origin is at its limit: a third request for it waits, then gives up...
    let e = p
        .acquire(
            &origin("h"),
            Some(Duration::from_millis(20)),
            Instant::now(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PoolTimeout);
    assert!(
        e.to_string().contains("all 2 allowed to this host in use"),
        "{e}"
    );
    // ...while another origin opens at once.
    let _g = open(&p, "g", 3, now).await;
    assert_eq!(p.status().open, 3);
    // An idle connection of the origin counts too, and is reused.
    p.checkin(a);
    let reused = look(&p, "h", Instant::now()).await;
    assert_eq!(reused, Some(1));
}

#[test]
fn the_per_host_limit_bounds_one_origin_only() {
    run_test(per_host_limit());
}

/// Queues a waiter for `host` that records `tag` in `order` once served,
/// holds its place a moment, and waits until it is queued.
#[maybe]
async fn queue(
    p: &Pool<Fake>,
    host: &'static str,
    tag: u32,
    order: &Arc<Mutex<Vec<u32>>>,
) -> super::super::rt::TestTask {
    let (p2, order2) = (p.clone(), order.clone());
    let before = p.status().waiting;
    let task = super::super::rt::spawn_test(move || async move {
        let got = p2
            .acquire(&origin(host), Some(Duration::from_secs(10)), Instant::now())
            .await
            .expect("served before the pool timeout");
        order2.lock().unwrap().push(tag);
        super::super::rt::sleep(Duration::from_millis(5)).await;
        drop(got);
    });
    let mut tries = 0;
    while p.status().waiting <= before {
        tries += 1;
        assert!(tries < 2_000, "waiter {tag} never queued");
        super::super::rt::sleep(Duration::from_millis(1)).await;
    }
    task
}

#[maybe]
async fn per_host_waiters() {
    let p = pool(
        Limits::default()
            .max_connections(10)
            .max_connections_per_host(1),
    );
    assert!(!p.at_host_limit(&origin("h")));
    let held = open(&p, "h", 0, Instant::now()).await;
    assert!(p.at_host_limit(&origin("h")), "its one place taken");
    assert!(!p.at_host_limit(&origin("g")));
    let order = Arc::new(Mutex::new(Vec::new()));
    let w1 = queue(&p, "h", 1, &order).await;
    let w2 = queue(&p, "h", 2, &order).await;
    // A look without waiting: nothing for `h`, a place for `g`, and
    // neither joins the queue.
    let now = Instant::now();
    assert!(p.acquire_now(&origin("h"), now).unwrap().is_none());
    let g = p.acquire_now(&origin("g"), now).unwrap();
    assert!(matches!(g, Some(Checkout::New(_))));
    drop(g);
    assert_eq!(p.status().waiting, 2);
    // Two requests for `h` wait; one for `g` is not held up behind them.
    let g = p
        .acquire(&origin("g"), Some(Duration::from_secs(2)), Instant::now())
        .await
        .expect("not held up behind another origin's waiters");
    assert!(matches!(g, Checkout::New(_)));
    drop(g);
    assert_eq!(p.status().waiting, 2);
    drop(held);
    super::super::rt::join_test(w1).await;
    super::super::rt::join_test(w2).await;
    assert_eq!(
        *order.lock().unwrap(),
        [1, 2],
        "first come, first served per origin"
    );
}

#[test]
fn a_request_held_by_its_origin_does_not_hold_up_others() {
    run_test(per_host_waiters());
}

#[maybe]
async fn both_limits() {
    let p = pool(
        Limits::default()
            .max_connections(2)
            .max_connections_per_host(2),
    );
    let now = Instant::now();
    let h1 = open(&p, "h", 1, now).await;
    let h2 = open(&p, "h", 2, now).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    // `g` waits for the global limit; `h` behind it for its own origin's.
    let wg = queue(&p, "g", 10, &order).await;
    let wh = queue(&p, "h", 20, &order).await;
    // A place comes free: `g` came first and is not held by its origin,
    // so it gets the place; `h` gets the next one.
    drop(h1);
    super::super::rt::join_test(wg).await;
    super::super::rt::join_test(wh).await;
    assert_eq!(*order.lock().unwrap(), [10, 20]);
    drop(h2);
}

#[test]
fn the_global_limit_and_the_per_host_limit_together() {
    run_test(both_limits());
}
