//! The server's state in a database: SQLite (one file in the server folder,
//! the default) or PostgreSQL (for several instances behind a load
//! balancer), through sqlx's `Any` driver so that both run the same
//! queries and the same migrations (`intake/migrations/`).
//!
//! Every change is one transaction. A transaction that changes anything
//! starts by writing, so that both engines order it against the others
//! before it reads: SQLite's `BEGIN IMMEDIATE` takes the write lock at
//! once, and in PostgreSQL the first `UPDATE` locks the rows it decides on
//! (each conditional update below re-checks its condition on the locked
//! row, so two instances never both take the last byte of a quota).

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, Row, SqlSafeStr};

use crate::error::{ApiError, SetupError};

/// The schema, in order. Each file is applied once and recorded in the
/// database's `_sqlx_migrations` table; a file is never changed once
/// released (its checksum is checked at every start), only followed.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "state", include_str!("../migrations/0001_state.sql")),
    (
        2,
        "device proof",
        include_str!("../migrations/0002_device_proof.sql"),
    ),
    (
        3,
        "desk ack",
        include_str!("../migrations/0003_desk_ack.sql"),
    ),
    (
        4,
        "bundles by device",
        include_str!("../migrations/0004_bundles_by_device.sql"),
    ),
    (
        5,
        "device recipient",
        include_str!("../migrations/0005_device_recipient.sql"),
    ),
    (
        6,
        "rate windows",
        include_str!("../migrations/0006_rate_windows.sql"),
    ),
    (
        7,
        "messages",
        include_str!("../migrations/0007_messages.sql"),
    ),
    (
        8,
        "officers",
        include_str!("../migrations/0008_officers.sql"),
    ),
    (
        9,
        "object store",
        include_str!("../migrations/0009_object_store.sql"),
    ),
];

/// Which engine holds the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

/// The state's database.
#[derive(Debug)]
pub(crate) struct Db {
    pub(crate) pool: AnyPool,
    engine: Engine,
    /// PostgreSQL: connections that hold uploads' locks (see
    /// [`Db::lock_upload`]), apart from the pool of queries, so that
    /// PATCHes in progress never starve the queries they make.
    locks: Option<AnyPool>,
}

/// The database URL of a server folder's own SQLite file.
pub(crate) fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("state.db").display())
}

impl Db {
    /// Connects (creating an SQLite file if needed) and brings the schema
    /// up to date.
    pub(crate) async fn open(url: &str) -> Result<Db, SetupError> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            return Err(SetupError::Database(
                "the database must be an sqlite: or postgres: URL".into(),
            ));
        };
        let options = AnyPoolOptions::new()
            .max_connections(match engine {
                // One writer at a time in any case; a few readers beside it.
                Engine::Sqlite => 4,
                Engine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // Readers never wait for the writer; every commit is
                        // on disk before it is acknowledged (FULL is
                        // SQLite's and sqlx's default, stated here because
                        // a receipt depends on it).
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            });
        let pool = options
            .connect(url)
            .await
            .map_err(|e| SetupError::Database(describe(&e)))?;
        let locks = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(
                AnyPoolOptions::new()
                    .max_connections(64)
                    .min_connections(0)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_lazy(url)
                    .map_err(|e| SetupError::Database(describe(&e)))?,
            ),
        };
        let migrations = MIGRATIONS
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*name),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&pool)
            .await
            .map_err(|e| SetupError::Database(format!("the schema could not be updated: {e}")))?;
        Ok(Db {
            pool,
            engine,
            locks,
        })
    }

    /// With PostgreSQL, takes upload `id`'s lock across every instance of
    /// the server on the database: a transaction-scoped advisory lock,
    /// held while the returned transaction lives. It goes with the
    /// transaction when the request ends or is dropped, and with the
    /// connection when an instance dies, so a client resuming through
    /// another instance waits for no lease to expire. `None` with SQLite,
    /// whose one server process locks in memory. A lock held for longer
    /// than 30 s (another request still writing) is answered 423, which
    /// tus clients retry.
    pub(crate) async fn lock_upload(
        &self,
        id: &str,
    ) -> Result<Option<sqlx::Transaction<'static, sqlx::Any>>, ApiError> {
        let Some(locks) = &self.locks else {
            return Ok(None);
        };
        // 60 bits of the (random, hexadecimal) upload id.
        let key = id
            .get(..15)
            .and_then(|h| i64::from_str_radix(h, 16).ok())
            .ok_or_else(ApiError::internal)?;
        let mut tx = locks.begin().await.map_err(db_error)?;
        // The lock is held by an idle transaction while the body streams in:
        // a server-wide idle timeout must not end it under the request.
        for setting in [
            "SET LOCAL lock_timeout = '30s'",
            "SET LOCAL idle_in_transaction_session_timeout = 0",
        ] {
            sqlx::query(setting)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        match sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)")
            .bind(key)
            .execute(&mut *tx)
            .await
        {
            Ok(_) => Ok(Some(tx)),
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("55P03") => {
                Err(ApiError::new(
                    axum::http::StatusCode::LOCKED,
                    "another request is writing this upload; try again",
                ))
            }
            Err(e) => Err(db_error(e)),
        }
    }

    /// A transaction that will write: see the module's note.
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, ApiError> {
        match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
        }
        .map_err(db_error)
    }
}

/// A database failure as an answer: the client tries again later; nothing
/// of the query or its values is said.
pub(crate) fn db_error(e: sqlx::Error) -> ApiError {
    let cause = match &e {
        sqlx::Error::PoolTimedOut => "the database: no connection free in time".to_owned(),
        sqlx::Error::PoolClosed => "the database: its pool is closed".to_owned(),
        sqlx::Error::Io(io) => format!("the database: {}", io.kind()),
        // The SQLSTATE code only: the message may quote values.
        sqlx::Error::Database(d) => format!(
            "the database: error {}",
            d.code().as_deref().unwrap_or("without a code")
        ),
        _ => "the database: a query failed".to_owned(),
    };
    let answer = match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            ApiError::unavailable()
        }
        // Too many connections; the server is starting up or shutting down.
        sqlx::Error::Database(d)
            if matches!(d.code().as_deref(), Some("53300" | "57P03" | "57P01")) =>
        {
            ApiError::unavailable()
        }
        _ => ApiError::internal(),
    };
    answer.because(cause)
}

/// A connection failure, said without the URL (it may hold a password).
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => format!("cannot reach the database ({})", io.kind()),
        sqlx::Error::Tls(_) => "the database's TLS connection failed".into(),
        sqlx::Error::Configuration(_) => "the database URL is not valid".into(),
        sqlx::Error::Database(d) => {
            format!("the database refused the connection ({})", d.message())
        }
        sqlx::Error::PoolTimedOut => "the database did not answer in time".into(),
        _ => "cannot connect to the database".into(),
    }
}

/// A column as `i64` (SQLite and PostgreSQL both hand BIGINT over as one).
pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, ApiError> {
    row.try_get::<i64, _>(col).map_err(db_error)
}

/// A column as an unsigned size; a negative value is a damaged row.
pub(crate) fn size(row: &AnyRow, col: &str) -> Result<u64, ApiError> {
    u64::try_from(int(row, col)?).map_err(|_| ApiError::internal())
}

/// A text column.
pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String, ApiError> {
    row.try_get::<String, _>(col).map_err(db_error)
}

/// A text column that may be NULL.
pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, ApiError> {
    row.try_get::<Option<String>, _>(col).map_err(db_error)
}

/// A size as a column value (sizes are capped far below `i64::MAX`).
pub(crate) fn col(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_migration_applies_to_a_new_sqlite_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = Db::open(&sqlite_url(dir.path()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&db.pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(versions, vec![1, 2, 3, 4, 5, 6, 7, 8, 9]);
        sqlx::query("SELECT multipart_id, parts, parts_bytes, tail_key FROM uploads")
            .fetch_all(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query("SELECT token_sha256, proof, recipient FROM devices")
            .fetch_all(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query("SELECT name, minute, events FROM rate_windows")
            .fetch_all(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query("SELECT id, device_key_id, to_desk, sealed, created_at FROM messages")
            .fetch_all(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for q in [
            "SELECT officer_id, label, token_sha256, added_at, removed_at FROM officers",
            "SELECT bundle_id, officer_id, fetched_at FROM officer_fetches",
        ] {
            sqlx::query(q)
                .fetch_all(&db.pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
