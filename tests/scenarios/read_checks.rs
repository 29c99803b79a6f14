// A reader that keeps reading across read timeouts, shared by the reliability
// and TLS scenarios (included after a harness that binds `Response`,
// `read_into` and `maybe`).

/// Reads `r` to its end through `buf_size`-byte reads, reading on after
/// each read timeout (at most 40), checking every byte against `want`;
/// returns the bytes read and the timeouts met. Any other error fails.
#[maybe]
async fn read_across_timeouts(r: &mut Response, buf_size: usize, want: &[u8]) -> (usize, usize) {
    let mut buf = vec![0u8; buf_size];
    let (mut got, mut timeouts) = (0usize, 0usize);
    loop {
        match read_into(r, &mut buf).await {
            Ok(0) => return (got, timeouts),
            Ok(n) => {
                crate::support::reliability::check_at(want, got, &buf[..n]);
                got += n;
            }
            Err(e) if e.kind() == ferrohttp::ErrorKind::ReadTimeout && timeouts < 40 => timeouts += 1,
            Err(e) => panic!("read failed after {got} bytes and {timeouts} timeouts: {e:?}"),
        }
    }
}
