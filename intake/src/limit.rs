//! A limit on how often something may happen in a minute (enrollment
//! attempts, which anyone may make), counted in the database so that every
//! instance of the server on it shares it: with a count per instance, N
//! instances behind a load balancer would allow N times the limit.

use crate::db::{db_error, Db};
use crate::error::ApiError;

/// Counts an event named `name` at `now` (Unix time) in the current minute
/// of the clock; false if more than `max` happened in it. One upsert, in
/// its own transaction (the caller's, if it fails, must not undo the
/// count).
pub(crate) async fn admit(db: &Db, name: &str, now: i64, max: u32) -> Result<bool, ApiError> {
    let minute = now.div_euclid(60);
    let mut tx = db.write().await?;
    // The right-hand sides read the row as it was, in both engines.
    let events: i64 = sqlx::query_scalar(
        "INSERT INTO rate_windows (name, minute, events) VALUES ($1, $2, 1) \
         ON CONFLICT (name) DO UPDATE SET \
         events = CASE WHEN rate_windows.minute = excluded.minute \
                  THEN rate_windows.events + 1 ELSE 1 END, \
         minute = excluded.minute \
         RETURNING events",
    )
    .bind(name)
    .bind(minute)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(events <= i64::from(max))
}
