// Pool and connection scenarios shared by both clients (included by
// tests/pool.rs after a harness that binds `Client`, `Transport`, `maybe`,
// `concurrently` and `pause`).

#[allow(unused_imports, reason = "not every scenario uses every name")]
use crate::support::{Blackhole, Reply, Server};
use ferrohttp::{ErrorKind, Limits, Timeout};
use std::time::Duration;

/// A server that answers every request after `delay`.
fn slow_server(delay: Duration) -> Server {
    Server::http(move |_| {
        std::thread::sleep(delay);
        Reply::ok("slow")
    })
}

#[maybe]
async fn get_text(client: Client, url: String) -> ferrohttp::Result<String> {
    client.get(url).send().await?.text().await
}

scenario! {
    async fn max_connections_bounds_concurrency() {
        let server = slow_server(Duration::from_millis(100));
        let client = Client::builder()
            .limits(Limits::default().max_connections(2))
            .timeout(Timeout::from_secs(10))
            .build()
            .unwrap();
        let url = server.url("/");
        let c = client.clone();
        let results = concurrently(8, move |_| get_text(c.clone(), url.clone())).await;
        for r in &results {
            assert_eq!(r.as_deref().unwrap(), "slow");
        }
        assert!(server.max_active() <= 2, "{} connections open at once", server.max_active());
        assert!(server.connections() <= 2);
        let status = client.pool_status().unwrap();
        assert!(status.open <= 2, "{status:?}");
        assert_eq!(status.waiting, 0);
    }
}

scenario! {
    async fn excess_requests_fail_with_pool_timeout() {
        let server = slow_server(Duration::from_millis(600));
        let client = Client::builder()
            .limits(Limits::default().max_connections(1))
            .timeout(Timeout::from_secs(10).pool(Duration::from_millis(50)))
            .build()
            .unwrap();
        let url = server.url("/");
        let c = client.clone();
        let results = concurrently(3, move |_| get_text(c.clone(), url.clone())).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let pool_timeouts = results
            .iter()
            .filter(|r| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::PoolTimeout))
            .count();
        assert_eq!((ok, pool_timeouts), (1, 2), "{results:?}");
        let e = results.into_iter().find_map(|r| r.err()).unwrap();
        assert!(e.is_timeout());
        assert!(e.to_string().contains("free connection"), "{e}");
    }
}

scenario! {
    async fn waiting_request_gets_the_released_connection() {
        // One connection, one slow request in flight: the second waits (pool
        // timeout 5 s) and is served on the same connection once it is free.
        let server = slow_server(Duration::from_millis(200));
        let client = Client::builder()
            .limits(Limits::default().max_connections(1))
            .build()
            .unwrap();
        let url = server.url("/");
        let c = client.clone();
        let results = concurrently(2, move |_| get_text(c.clone(), url.clone())).await;
        assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
        assert_eq!(server.connections(), 1);
    }
}

scenario! {
    async fn max_keepalive_keeps_one_idle_connection() {
        let server = slow_server(Duration::from_millis(100));
        let client = Client::builder()
            .limits(Limits::default().max_keepalive_connections(1))
            .build()
            .unwrap();
        let url = server.url("/");
        let c = client.clone();
        let results = concurrently(3, move |_| get_text(c.clone(), url.clone())).await;
        assert!(results.iter().all(|r| r.is_ok()));
        assert_eq!(server.connections(), 3, "the burst needed three connections");
        let status = client.pool_status().unwrap();
        assert_eq!(status.idle, 1, "{status:?}");
        assert_eq!(status.open, 1, "the others were closed: {status:?}");
        assert_eq!(status.idle_per_origin, vec![(format!("http://127.0.0.1:{}", server.addr().port()), 1)]);
    }
}

scenario! {
    async fn idle_connection_past_expiry_is_not_reused() {
        let server = Server::http(|_| Reply::ok("ok"));
        let client = Client::builder()
            .limits(Limits::default().keepalive_expiry(Duration::from_millis(100)))
            .build()
            .unwrap();
        get_text(client.clone(), server.url("/")).await.unwrap();
        get_text(client.clone(), server.url("/")).await.unwrap();
        assert_eq!(server.connections(), 1, "reused within expiry");
        pause(Duration::from_millis(250)).await;
        get_text(client.clone(), server.url("/")).await.unwrap();
        assert_eq!(server.connections(), 2, "not reused after expiry");
    }
}

scenario! {
    async fn dropped_response_with_small_rest_reuses_connection() {
        let server = Server::http(|_| Reply::ok(vec![b'x'; 1000]));
        let client = Client::new();
        let r = client.get(server.url("/")).send().await.unwrap();
        drop(r); // the 1000 bytes arrived with the head: drained, not closed
        get_text(client.clone(), server.url("/")).await.unwrap();
        assert_eq!(server.connections(), 1);
        let chunked = Server::http(|_| Reply::raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
        let r = client.get(chunked.url("/")).send().await.unwrap();
        drop(r);
        get_text(client.clone(), chunked.url("/")).await.unwrap();
        assert_eq!(chunked.connections(), 1);
    }
}

scenario! {
    async fn total_timeout_bounds_a_trickling_body() {
        let server = Server::http(|_| {
            Reply::Custom(Box::new(|s| {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
                for _ in 0..100 {
                    if s.write_all(b"x").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }))
        });
        // Each byte comes well within the read timeout; the deadline stops it.
        let client = Client::builder()
            .timeout(Timeout::from_secs(5).total(Duration::from_millis(400)))
            .build()
            .unwrap();
        let e = get_text(client, server.url("/")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TotalTimeout, "{e:?}");
        assert!(e.is_timeout());
        assert!(e.to_string().contains("total timeout"), "{e}");
    }
}

scenario! {
    async fn total_timeout_bounds_waiting_for_the_head() {
        let server = Server::http(|_| Reply::Stall(Duration::from_secs(3)));
        let client = Client::new();
        let e = client
            .get(server.url("/"))
            .timeout(Timeout::from_secs(5).total(Duration::from_millis(200)))
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TotalTimeout, "{e:?}");
    }
}

/// A client that connects to `host` at `addrs`, in order, Happy Eyeballs
/// style, within 2 s.
fn eyeballs(host: &str, addrs: &[std::net::SocketAddr]) -> Client {
    addrs
        .iter()
        .fold(Client::builder(), |b, a| b.resolve(host, *a))
        .timeout(Timeout::from_secs(5).connect(Duration::from_secs(2)))
        .build()
        .unwrap()
}

scenario! {
    async fn happy_eyeballs_skips_a_blackholed_address() {
        let hole = Blackhole::new();
        let server = Server::http(|_| Reply::ok("reached"));
        let client = eyeballs("eyeballs.test", &[hole.addr, server.addr()]);
        let text = get_text(client, "http://eyeballs.test/".to_string()).await.unwrap();
        assert_eq!(text, "reached");
        assert_eq!(server.requests()[0].header("host"), Some("eyeballs.test"));
    }
}

scenario! {
    // A refused address does not cost the attempt delay: the next one starts
    // at once; when every address refuses, the error is the refusal, not a
    // timeout.
    async fn happy_eyeballs_moves_on_from_refused_addresses() {
        let closed = || {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = l.local_addr().unwrap();
            drop(l);
            addr
        };
        let server = Server::http(|_| Reply::ok("reached"));
        let client = eyeballs("eyeballs.test", &[closed(), closed(), server.addr()]);
        let text = get_text(client, "http://eyeballs.test/".to_string()).await.unwrap();
        assert_eq!(text, "reached");
        let client = eyeballs("nobody.test", &[closed(), closed()]);
        let e = get_text(client, "http://nobody.test/".to_string()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connect, "{e:?}");
    }
}

scenario! {
    async fn resolve_override_with_url_port() {
        let server = Server::http(|_| Reply::ok("over"));
        let ip: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let client = Client::builder().resolve("api.example.com", ip).build().unwrap();
        let url = format!("http://api.example.com:{}/x", server.addr().port());
        let got = get_text(client, url).await.unwrap();
        assert_eq!(got, "over");
    }
}

scenario! {
    async fn local_address_is_the_source() {
        let server = Server::http(|_| Reply::ok("ok"));
        let client = Client::builder().local_address("127.0.0.2".parse().unwrap()).build().unwrap();
        get_text(client, server.url("/")).await.unwrap();
        assert_eq!(server.peers()[0].ip().to_string(), "127.0.0.2");
    }
}

scenario! {
    async fn connect_retries() {
        // A port nobody listens on yet; a server appears on it after 300 ms.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = format!("http://{addr}/");
        let e = Client::builder()
            .transport(Transport::new().retries(0))
            .build()
            .unwrap()
            .get(&url)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connect);
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            Server::http_on(std::net::TcpListener::bind(addr).unwrap(), |_| Reply::ok("late"))
        });
        // Retries wait 0 s, 0.5 s, 1 s: the third or fourth attempt connects.
        let client = Client::builder().transport(Transport::new().retries(3)).build().unwrap();
        let text = get_text(client, url).await.unwrap();
        assert_eq!(text, "late");
        let server = late.join().unwrap();
        assert_eq!(server.requests().len(), 1);
    }
}

#[cfg(unix)]
scenario! {
    async fn unix_domain_socket() {
        let dir = std::env::temp_dir().join(format!("ferrohttp-uds-{}-{}", std::process::id(), line!()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("s{}.sock", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let seen: std::sync::Arc<std::sync::Mutex<Vec<crate::support::Recorded>>> = Default::default();
        let seen2 = seen.clone();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            crate::support::serve_connection(stream, 0, &|req| Reply::ok(format!("uds {}", req.target)), &seen2);
        });
        let client = Client::builder().transport(Transport::new().uds(&path)).build().unwrap();
        let text = get_text(client.clone(), "http://localhost/over/uds?x=1".to_string()).await.unwrap();
        assert_eq!(text, "uds /over/uds?x=1");
        // After sitting idle the connection is looked at, and still reused
        // (the server accepts only one).
        pause(Duration::from_millis(1200)).await;
        let text = get_text(client.clone(), "http://localhost/again".to_string()).await.unwrap();
        assert_eq!(text, "uds /again");
        client.close();
        drop(client);
        server.join().unwrap();
        assert_eq!(seen.lock().unwrap()[0].header("host"), Some("localhost"));
        std::fs::remove_dir_all(&dir).ok();
    }
}

scenario! {
    async fn close_refuses_later_requests() {
        let server = Server::http(|_| Reply::ok("ok"));
        let client = Client::new();
        get_text(client.clone(), server.url("/")).await.unwrap();
        assert_eq!(client.pool_status().unwrap().idle, 1);
        client.close();
        assert!(client.is_closed());
        assert_eq!(client.pool_status().unwrap().idle, 0);
        let e = get_text(client.clone(), server.url("/")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Closed);
    }
}

scenario! {
    async fn pool_is_per_origin() {
        let a = Server::http(|_| Reply::ok("a"));
        let b = Server::http(|_| Reply::ok("b"));
        let client = Client::new();
        for _ in 0..2 {
            let got = get_text(client.clone(), a.url("/")).await.unwrap();
            assert_eq!(got, "a");
            let got = get_text(client.clone(), b.url("/")).await.unwrap();
            assert_eq!(got, "b");
        }
        assert_eq!((a.connections(), b.connections()), (1, 1));
        let status = client.pool_status().unwrap();
        assert_eq!(status.idle, 2);
        assert_eq!(status.idle_per_origin.len(), 2);
    }
}

scenario! {
    async fn full_pool_evicts_idle_connection_of_another_origin() {
        let a = Server::http(|_| Reply::ok("a"));
        let b = Server::http(|_| Reply::ok("b"));
        let client = Client::builder()
            .limits(Limits::default().max_connections(1))
            .timeout(Timeout::from_secs(5).pool(Duration::from_millis(200)))
            .build()
            .unwrap();
        let got = get_text(client.clone(), a.url("/")).await.unwrap();
        assert_eq!(got, "a");
        // The only place is held by an idle connection to a: it is closed for b.
        let got = get_text(client.clone(), b.url("/")).await.unwrap();
        assert_eq!(got, "b");
        let status = client.pool_status().unwrap();
        assert_eq!(status.open, 1, "{status:?}");
    }
}

scenario! {
    async fn waiting_requests_are_served_first_come_first_served() {
        // One connection; each request holds it 300 ms. Requests start 60 ms
        // apart, so they queue in order /0, /1, /2, /3 and must reach the
        // server in that order.
        let server = slow_server(Duration::from_millis(300));
        let client = Client::builder()
            .limits(Limits::default().max_connections(1))
            .timeout(Timeout::from_secs(10))
            .build()
            .unwrap();
        let base = server.url("/");
        let c = client.clone();
        let results = concurrently(4, move |i| {
            let (c, url) = (c.clone(), format!("{base}{i}"));
            async move {
                pause(Duration::from_millis(60 * i as u64)).await;
                get_text(c, url).await
            }
        })
        .await;
        assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
        let order: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
        assert_eq!(order, ["/0", "/1", "/2", "/3"]);
    }
}

scenario! {
    // A timeout too large for the clock (a user's `Duration::MAX`, or
    // `u64::MAX` seconds from a config file) means no timeout: no panic on
    // `Instant + Duration` overflow, for each timeout on its own and all
    // together, on a new and a reused connection, through Happy Eyeballs
    // (two addresses) and while waiting for the pool.
    async fn duration_max_timeouts_are_no_timeouts() {
        let server = slow_server(Duration::from_millis(100));
        let huge = [Duration::MAX, Duration::from_secs(u64::MAX)];
        for max in huge {
            let timeouts = [
                Timeout::from_secs(10).total(max),
                Timeout::from_secs(10).pool(max),
                Timeout::from_secs(10).connect(max),
                Timeout::from_secs(10).read(max),
                Timeout::from_secs(10).write(max),
                Timeout::new(max).total(max),
            ];
            for t in timeouts {
                let transport = Transport::with_limits(Limits::default().max_connections(1))
                    .resolve("two.test", server.addr())
                    .resolve("two.test", server.addr());
                let client = Client::builder()
                    .transport(transport)
                    .timeout(t)
                    .build()
                    .unwrap();
                let url = format!("http://two.test:{}/", server.addr().port());
                let c = client.clone();
                // Three at once on one connection: two wait for the pool.
                let results = concurrently(3, move |_| get_text(c.clone(), url.clone())).await;
                for r in results {
                    assert_eq!(r.unwrap(), "slow", "{t:?}");
                }
            }
        }
    }
}

scenario! {
    // A setting of the built-in transport given with a custom transport
    // would be silently ignored: build() says so instead.
    async fn transport_settings_with_a_custom_transport_are_an_error() {
        let mock = || ferrohttp::MockTransport::new(|_| ferrohttp::Response::from(http::Response::new("ok")));
        let e = Client::builder()
            .limits(Limits::default().max_connections(1))
            .transport(mock())
            .resolve("a.test", "127.0.0.1:1".parse().unwrap())
            .retries(2)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("limits, resolve, retries"), "{msg}");
        // Client-level settings go with any transport.
        let client = Client::builder().transport(mock()).timeout(Timeout::from_secs(1)).base_url("http://a.test/").build().unwrap();
        let text = client.get("x").send().await.unwrap().text().await.unwrap();
        assert_eq!(text, "ok");
        // The one name for a Unix socket, on the builder and the transport;
        // the former names still work.
        assert!(Client::builder().uds("/nonexistent.sock").build().is_ok());
        #[allow(deprecated)]
        let old = Client::builder().unix_socket("/nonexistent.sock").transport(mock()).build();
        assert!(old.unwrap_err().to_string().contains("uds"));
    }
}

/// A gate the test opens once: requests reaching a gated server wait there.
#[derive(Default)]
struct Gate {
    open: std::sync::Mutex<bool>,
    cv: std::sync::Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            let (guard, timeout) = self.cv.wait_timeout(open, Duration::from_secs(10)).unwrap();
            open = guard;
            assert!(!timeout.timed_out() || *open, "the gate was never opened");
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

scenario! {
    async fn max_connections_per_host_bounds_one_origin_only() {
        let gate = std::sync::Arc::new(Gate::default());
        let g = gate.clone();
        let gated = Server::http(move |_| {
            g.wait();
            Reply::ok("gated")
        });
        let free = Server::http(|_| Reply::ok("free"));
        let client = Client::builder()
            .limits(Limits::default().max_connections(10).max_connections_per_host(1))
            .timeout(Timeout::from_secs(10).pool(Duration::from_secs(3)))
            .build()
            .unwrap();
        let (gated_url, free_url) = (gated.url("/"), free.url("/"));
        let c = client.clone();
        let results = concurrently(4, move |i| {
            let (c, gated_url, free_url) = (c.clone(), gated_url.clone(), free_url.clone());
            let gate = gate.clone();
            async move {
                if i < 3 {
                    return get_text(c, gated_url).await;
                }
                // Once two requests for the gated origin wait for its one
                // connection, a request for another origin still goes.
                let mut tries = 0;
                while c.pool_status().unwrap().waiting < 2 && tries < 1_000 {
                    tries += 1;
                    pause(Duration::from_millis(5)).await;
                }
                let waiting = c.pool_status().unwrap().waiting;
                let r = get_text(c, free_url).await;
                gate.open();
                assert_eq!(waiting, 2, "two requests for the gated origin were queued");
                r
            }
        })
        .await;
        assert_eq!(results[3].as_deref().unwrap(), "free");
        for r in &results[..3] {
            assert_eq!(r.as_deref().unwrap(), "gated");
        }
        assert_eq!(gated.max_active(), 1, "one connection at a time to the gated origin");
        assert_eq!(gated.connections(), 1, "and it was reused by the waiters");
    }
}

scenario! {
    async fn redirect_hops_keep_their_timings_and_addresses() {
        let server = Server::http(|req| {
            if req.target == "/from" {
                Reply::raw("HTTP/1.1 302 Found\r\nLocation: /to\r\nContent-Length: 5\r\n\r\nmoved")
            } else {
                Reply::ok("here")
            }
        });
        let client = Client::builder().follow_redirects(true).build().unwrap();
        let r = client.get(server.url("/from")).send().await.unwrap();
        let hop = &r.history()[0];
        let t = hop.timings();
        assert!(t.connect().is_some() && t.first_byte().is_some(), "{t:?}");
        assert!(t.end().is_some(), "the hop's body was read to its end: {t:?}");
        assert_eq!(hop.remote_addr(), Some(server.addr()));
        // The final request reused the connection: no connect phase.
        let t = r.timings();
        assert_eq!(t.connect(), None, "{t:?}");
        assert!(t.first_byte().is_some());
        assert_eq!(r.remote_addr(), Some(server.addr()));
        assert_eq!(server.connections(), 1);
    }
}
