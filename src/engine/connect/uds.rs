//! The Unix-domain-socket step (httpx's `uds`, curl's `--unix-socket`).

use std::path::Path;

use super::{io_error, maybe, rt, Budget, Phase};
use crate::error::Result;

#[maybe]
/// A connection to the socket at `path` within the budget.
pub(super) async fn open(path: &Path, budget: &Budget<'_>) -> Result<rt::Stream> {
    let (limit, by_deadline) = budget.limit();
    rt::connect_unix(path, limit).await.map_err(|e| {
        let name = format!("unix socket {}", path.display());
        io_error(e, Phase::Connect, &name, budget.deadline, by_deadline)
    })
}
