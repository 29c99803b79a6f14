//! `.netrc` credentials with `trust_env`: the file named by `NETRC`, read
//! once per client, used only when no other auth is given, and a malformed
//! file an error only when it is used. Environment variables are
//! process-wide, so this binary has one test that sets `NETRC` in turn.

mod support;

use ferrohttp::{Client, ErrorKind};
use support::{Reply, Server};

#[test]
fn netrc_from_the_environment() {
    let server = Server::http(|req| Reply::ok(req.header("authorization").unwrap_or("-")));
    let dir = std::env::temp_dir().join(format!("ferrohttp-netrc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good");
    std::fs::write(
        &good,
        "machine 127.0.0.1\n  login alice\n  password \"s3 cret\"\n",
    )
    .unwrap();
    let bad = dir.join("bad");
    std::fs::write(&bad, "machine 127.0.0.1 login alice\nfrobnicate yes\n").unwrap();

    std::env::set_var("NETRC", &good);
    let client = Client::new();
    let got = client.get(server.url("/")).send().unwrap().text().unwrap();
    assert_eq!(got, "Basic YWxpY2U6czMgY3JldA==");
    // Explicit auth wins over .netrc.
    let got = client
        .get(server.url("/"))
        .basic_auth("bob", "x")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(got, "Basic Ym9iOng=");
    // Read once per client: a change of the file is not seen by this client.
    std::fs::write(&good, "machine 127.0.0.1 login changed password p\n").unwrap();
    let got = client.get(server.url("/")).send().unwrap().text().unwrap();
    assert_eq!(got, "Basic YWxpY2U6czMgY3JldA==");
    // trust_env(false): not read at all.
    let plain = Client::builder().trust_env(false).build().unwrap();
    assert_eq!(
        plain.get(server.url("/")).send().unwrap().text().unwrap(),
        "-"
    );

    // A malformed file: an error naming file and line, when it is used.
    std::env::set_var("NETRC", &bad);
    let client = Client::new();
    let e = client.get(server.url("/")).send().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e:?}");
    assert!(
        e.to_string().contains(&format!("{}:2", bad.display())),
        "{e}"
    );
    // ... and not when auth is given.
    let got = client
        .get(server.url("/"))
        .basic_auth("bob", "x")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(got, "Basic Ym9iOng=");

    // A URL naming its user takes that user's entry, as curl does; a user
    // with no entry gets an empty password; `+` in a URL's user is itself.
    let two = dir.join("two");
    std::fs::write(
        &two,
        "machine 127.0.0.1 login user1 password one\nmachine 127.0.0.1 login user2 password two\n",
    )
    .unwrap();
    std::env::set_var("NETRC", &two);
    let with_user = |userinfo: &str| {
        server
            .url("/")
            .replace("http://", &format!("http://{userinfo}@"))
    };
    let cases = [
        (with_user("user2"), "Basic dXNlcjI6dHdv"),
        (with_user("user3"), "Basic dXNlcjM6"),
        (with_user("a+b:p%2Bq"), "Basic YStiOnArcQ=="),
        (server.url("/"), "Basic dXNlcjE6b25l"),
    ];
    for (url, want) in &cases {
        let got = Client::new().get(url).send().unwrap().text().unwrap();
        assert_eq!(got, *want, "{url}");
    }
    #[cfg(feature = "async")]
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            for (url, want) in &cases {
                let r = ferrohttp::AsyncClient::new().get(url).send().await.unwrap();
                assert_eq!(r.text().await.unwrap(), *want, "async {url}");
            }
        });

    std::env::remove_var("NETRC");
    std::fs::remove_dir_all(&dir).ok();
}
