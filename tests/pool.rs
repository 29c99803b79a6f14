//! Connection management scenarios (pool limits, the four timeouts and the
//! total deadline, Happy Eyeballs, transport options, lifecycle), run against
//! both clients from one scenario file.

mod support;

mod blocking {
    include!("support/blocking_harness.rs");
    include!("scenarios/pool.rs");
}

#[cfg(feature = "async")]
mod nonblocking {
    include!("support/async_harness.rs");
    include!("scenarios/pool.rs");
}

/// A request cancelled while it waits for a connection (its future dropped)
/// must leave the queue, or the requests behind it would wait for nothing.
#[cfg(feature = "async")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_waiter_leaves_the_queue() {
    use std::time::Duration;
    let server = support::Server::http(|_| {
        std::thread::sleep(Duration::from_millis(300));
        support::Reply::ok("slow")
    });
    let client = ferrohttp::AsyncClient::builder()
        .limits(ferrohttp::Limits::default().max_connections(1))
        .timeout(ferrohttp::Timeout::from_secs(10).pool(Duration::from_millis(1500)))
        .build()
        .unwrap();
    let url = server.url("/");
    // A holds the only connection for 300 ms.
    let a = {
        let (c, u) = (client.clone(), url.clone());
        tokio::spawn(async move { c.get(u).send().await?.text().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    // B queues, then is cancelled.
    let b = tokio::time::timeout(Duration::from_millis(50), client.get(&url).send()).await;
    assert!(b.is_err(), "B was cancelled while it waited");
    // C queues behind where B stood: it must get the connection after A,
    // not fail with PoolTimeout behind a request that is gone.
    let c = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(c, "slow");
    assert_eq!(a.await.unwrap().unwrap(), "slow");
    assert_eq!(client.pool_status().unwrap().waiting, 0);
}
