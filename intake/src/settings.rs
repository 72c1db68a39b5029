//! The configuration file of `temoin-intake serve --config FILE` (TOML),
//! and the settings a server is started with.
//!
//! The file says where the server's parts are (its folder, TLS
//! certificate and key, receipt key, database, bundle store), where it
//! listens, and its limits. It is documented field by field in
//! `intake/temoin-intake.example.toml`, which a test parses. A field the
//! file does not know is refused, never ignored: a misspelt limit must not
//! leave the default in force unnoticed.
//!
//! Precedence, highest first: command-line flags; the file; the server
//! folder's `config.json` (written by `init`; the limits only); the built-in
//! defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::Config;
use crate::error::SetupError;

/// Where `serve` listens when neither a flag nor the file says.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8443";

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// The configuration file, as written (see the module's note).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `[server]`: the server folder and the listening address.
    #[serde(default)]
    pub server: ServerSection,
    /// `[tls]`: the certificate devices pin, and its key.
    #[serde(default)]
    pub tls: TlsSection,
    /// `[receipt]`: the key that signs receipts.
    #[serde(default)]
    pub receipt: ReceiptSection,
    /// `[database]`: where the state is kept.
    #[serde(default)]
    pub database: DatabaseSection,
    /// `[storage]`: where finished bundles are kept.
    #[serde(default)]
    pub storage: StorageSection,
    /// `[limits]`: sizes, rates and retention.
    #[serde(default)]
    pub limits: LimitsSection,
}

/// `[server]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// The server folder `temoin-intake init` made; relative to the
    /// configuration file's folder.
    pub dir: Option<PathBuf>,
    /// Address and port to listen on.
    pub listen: Option<SocketAddr>,
}

/// `[tls]`. Paths relative to the server folder.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// The certificate, PEM (default `tls/cert.pem`).
    pub cert: Option<PathBuf>,
    /// Its private key, PEM (default `tls/key.pem`).
    pub key: Option<PathBuf>,
}

/// `[receipt]`. Paths relative to the server folder.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReceiptSection {
    /// The receipt signing key (default `receipt.key`).
    pub key: Option<PathBuf>,
    /// The public halves (minisign base64) of the keys this server signed
    /// receipts with before a rotation: a receipt stored under one of them
    /// is signed again with `key` when a device fetches it (default: none).
    pub previous_keys: Option<Vec<String>>,
}

/// `[database]`.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// An `sqlite:` or `postgres:` URL (default: the one `config.json`
    /// names, else `state.db` in the server folder).
    pub url: Option<String>,
}

impl std::fmt::Debug for DatabaseSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A PostgreSQL URL may carry a password.
        f.debug_struct("DatabaseSection")
            .field("url", &self.url.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `[storage]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StorageSection {
    /// What kind of store: `local` (the default) or `s3`.
    pub kind: Option<StorageKind>,
    /// `local`: the folder of finished bundles, relative to the server
    /// folder (default `store`). It must be on the same filesystem as the
    /// server folder's `uploads/`: a finished upload is moved there.
    pub path: Option<PathBuf>,
    /// `s3`: the endpoint URL, `https://` (or `http://` for a store on
    /// the same machine or network).
    pub endpoint: Option<String>,
    /// `s3`: the bucket, which must exist.
    pub bucket: Option<String>,
    /// `s3`: the region (default `us-east-1`; most S3-compatible stores
    /// accept any).
    pub region: Option<String>,
    /// `s3`: the access key id.
    pub access_key_id: Option<String>,
    /// `s3`: a file holding the secret access key (and nothing else but a
    /// final line break), relative to the server folder; kept out of this
    /// file so that this file can be shown and backed up.
    pub secret_access_key_file: Option<PathBuf>,
    /// `s3`: allow an `http://` endpoint on another machine (default
    /// false: only `https://`, or `http://` to this machine).
    pub allow_http: Option<bool>,
}

/// The kinds of bundle store.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum StorageKind {
    /// Files in a local folder.
    Local,
    /// An S3-compatible bucket.
    S3,
}

/// Where an S3 bucket is, as the settings name it (the secret is read
/// when the server opens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Place {
    /// The endpoint URL.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The region.
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The file holding the secret access key.
    pub secret_access_key_file: PathBuf,
    /// Whether `http://` to another machine is allowed.
    pub allow_http: bool,
}

/// `[limits]`: each one left out keeps what `config.json` says.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Largest bundle accepted, in MiB.
    pub max_upload_mib: Option<u64>,
    /// Most uploads a device may start in an hour.
    pub max_uploads_per_hour: Option<u32>,
    /// Most bytes kept in all, in GiB.
    pub quota_gib: Option<u64>,
    /// Days a bundle is kept after the desk acknowledges it.
    pub retention_days: Option<u32>,
    /// Seconds an unfinished upload may go without a byte.
    pub upload_idle_secs: Option<u64>,
    /// Most bytes one device may have reserved by unfinished uploads, in
    /// GiB.
    pub max_reserved_gib_per_device: Option<u64>,
    /// Most bytes of one device's bundles not yet acknowledged, in GiB.
    pub max_stored_gib_per_device: Option<u64>,
    /// Most failed enrollment attempts answered in a minute.
    pub max_enrollments_per_minute: Option<u32>,
}

impl LimitsSection {
    /// Puts the limits the file sets over `config`'s.
    pub(crate) fn apply(&self, config: &mut Config) {
        if let Some(v) = self.max_upload_mib {
            config.max_upload_bytes = v.saturating_mul(MIB);
        }
        if let Some(v) = self.max_uploads_per_hour {
            config.max_uploads_per_hour = v;
        }
        if let Some(v) = self.quota_gib {
            config.quota_bytes = v.saturating_mul(GIB);
        }
        if let Some(v) = self.retention_days {
            config.retention_days = v;
        }
        if let Some(v) = self.upload_idle_secs {
            config.upload_idle_secs = v;
        }
        if let Some(v) = self.max_reserved_gib_per_device {
            config.max_reserved_bytes_per_device = v.saturating_mul(GIB);
        }
        if let Some(v) = self.max_stored_gib_per_device {
            config.max_stored_bytes_per_device = v.saturating_mul(GIB);
        }
        if let Some(v) = self.max_enrollments_per_minute {
            config.max_enrollments_per_minute = v;
        }
    }
}

impl ConfigFile {
    /// Reads and parses a configuration file; the error names the file,
    /// and for a malformed one the line, column and field.
    pub fn load(path: &Path) -> Result<ConfigFile, SetupError> {
        let text = std::fs::read_to_string(path).map_err(|e| SetupError::ConfigFile {
            path: path.to_owned(),
            why: format!("cannot be read ({e})"),
        })?;
        Self::parse(path, &text)
    }

    /// Parses the text of the configuration file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, SetupError> {
        toml::from_str(text).map_err(|e| SetupError::ConfigFile {
            path: path.to_owned(),
            why: e.to_string(),
        })
    }
}

/// What a server is started with: the file and the flags, resolved.
#[derive(Clone, PartialEq, Eq)]
pub struct ServeSettings {
    /// The server folder (`config.json`, `uploads/`, and the defaults of
    /// every path below).
    pub dir: PathBuf,
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The TLS certificate, PEM.
    pub tls_cert: PathBuf,
    /// The TLS key, PEM.
    pub tls_key: PathBuf,
    /// The receipt signing key.
    pub receipt_key: PathBuf,
    /// The public halves of the keys receipts were signed with before a
    /// rotation (minisign base64).
    pub previous_receipt_keys: Vec<String>,
    /// The state's database URL, over the one `config.json` names.
    pub database: Option<String>,
    /// The folder of finished bundles (when no bucket is named).
    pub store: PathBuf,
    /// The S3 bucket of finished bundles and uploads in progress, if the
    /// store is one.
    pub s3: Option<S3Place>,
    /// Limits over those of `config.json`.
    pub limits: LimitsSection,
}

impl std::fmt::Debug for ServeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeSettings")
            .field("dir", &self.dir)
            .field("listen", &self.listen)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("receipt_key", &self.receipt_key)
            .field("previous_receipt_keys", &self.previous_receipt_keys)
            .field("database", &self.database.as_ref().map(|_| "<redacted>"))
            .field("store", &self.store)
            .field("s3", &self.s3)
            .field("limits", &self.limits)
            .finish()
    }
}

/// What the command line says for `serve`.
#[derive(Clone, Debug, Default)]
pub struct ServeFlags {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--dir`.
    pub dir: Option<PathBuf>,
    /// `--listen`.
    pub listen: Option<SocketAddr>,
}

impl ServeSettings {
    /// The server folder `dir` laid out as `init` made it, on `listen`,
    /// with its `config.json` as it is.
    pub fn for_dir(dir: &Path, listen: SocketAddr) -> ServeSettings {
        Self::from_file(dir.to_owned(), listen, &ConfigFile::default())
    }

    /// The settings from the flags, and from the file they name if any
    /// (the flags win).
    pub fn resolve(flags: &ServeFlags) -> Result<ServeSettings, SetupError> {
        let file = match &flags.config {
            Some(path) => Some((path.as_path(), ConfigFile::load(path)?)),
            None => None,
        };
        Self::from_parts(file.as_ref().map(|(p, f)| (*p, f)), flags)
    }

    /// [`Self::resolve`] with the file already read.
    pub fn from_parts(
        file: Option<(&Path, &ConfigFile)>,
        flags: &ServeFlags,
    ) -> Result<ServeSettings, SetupError> {
        let empty = ConfigFile::default();
        let (path, f) = file.unwrap_or((Path::new(""), &empty));
        // A folder the file names is taken from where the file is, so
        // that the file means the same whoever runs it.
        let base = path.parent().unwrap_or(Path::new(""));
        let dir = match (&flags.dir, &f.server.dir) {
            (Some(d), _) => d.clone(),
            (None, Some(d)) => base.join(d),
            (None, None) => {
                return Err(match file {
                    Some((path, _)) => SetupError::ConfigFile {
                        path: path.to_owned(),
                        why: "names no server folder: set `dir` in [server], or pass --dir".into(),
                    },
                    None => SetupError::NoServerFolder,
                })
            }
        };
        let listen = match (flags.listen, f.server.listen) {
            (Some(l), _) | (None, Some(l)) => l,
            (None, None) => DEFAULT_LISTEN.parse().map_err(|_| SetupError::Listen)?,
        };
        let s3 = match f.storage.kind {
            Some(StorageKind::S3) => {
                let st = &f.storage;
                let need = |v: &Option<String>, field: &str| {
                    v.clone().ok_or_else(|| SetupError::ConfigFile {
                        path: path.to_owned(),
                        why: format!("[storage] kind = \"s3\" needs `{field}`"),
                    })
                };
                let secret =
                    st.secret_access_key_file
                        .clone()
                        .ok_or_else(|| SetupError::ConfigFile {
                            path: path.to_owned(),
                            why: "[storage] kind = \"s3\" needs `secret_access_key_file`".into(),
                        })?;
                Some(S3Place {
                    endpoint: need(&st.endpoint, "endpoint")?,
                    bucket: need(&st.bucket, "bucket")?,
                    region: st.region.clone().unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: need(&st.access_key_id, "access_key_id")?,
                    secret_access_key_file: dir.join(secret),
                    allow_http: st.allow_http.unwrap_or(false),
                })
            }
            _ => {
                let st = &f.storage;
                if st.endpoint.is_some()
                    || st.bucket.is_some()
                    || st.access_key_id.is_some()
                    || st.secret_access_key_file.is_some()
                    || st.region.is_some()
                    || st.allow_http.is_some()
                {
                    return Err(SetupError::ConfigFile {
                        path: path.to_owned(),
                        why: "[storage] names a bucket but not kind = \"s3\"".into(),
                    });
                }
                None
            }
        };
        let mut settings = Self::from_file(dir, listen, f);
        settings.s3 = s3;
        Ok(settings)
    }

    fn from_file(dir: PathBuf, listen: SocketAddr, f: &ConfigFile) -> ServeSettings {
        let at = |p: &Option<PathBuf>, default: &str| {
            dir.join(p.as_deref().unwrap_or(Path::new(default)))
        };
        ServeSettings {
            s3: None,
            listen,
            tls_cert: at(&f.tls.cert, "tls/cert.pem"),
            tls_key: at(&f.tls.key, "tls/key.pem"),
            receipt_key: at(&f.receipt.key, "receipt.key"),
            previous_receipt_keys: f.receipt.previous_keys.clone().unwrap_or_default(),
            database: f.database.url.clone(),
            store: at(&f.storage.path, "store"),
            limits: f.limits.clone(),
            dir,
        }
    }

    /// The folder of uploads in progress (always in the server folder).
    pub(crate) fn uploads(&self) -> PathBuf {
        self.dir.join("uploads")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../temoin-intake.example.toml");

    fn example() -> ConfigFile {
        ConfigFile::parse(Path::new("temoin-intake.example.toml"), EXAMPLE)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn refusal(text: &str) -> String {
        match ConfigFile::parse(Path::new("/etc/temoin-intake/config.toml"), text) {
            Err(e @ SetupError::ConfigFile { .. }) => e.to_string(),
            other => panic!("expected a configuration file error, got {other:?}"),
        }
    }

    #[test]
    fn the_example_file_parses_and_sets_every_field() {
        let f = example();
        assert_eq!(f.server.dir, Some(PathBuf::from("/var/lib/temoin-intake")));
        assert_eq!(f.server.listen, DEFAULT_LISTEN.parse().ok());
        assert_eq!(f.storage.kind, Some(StorageKind::Local));
        // Every field is written out, so that this test sees them all.
        let l = &f.limits;
        for set in [
            l.max_upload_mib.is_some(),
            l.max_uploads_per_hour.is_some(),
            l.quota_gib.is_some(),
            l.retention_days.is_some(),
            l.upload_idle_secs.is_some(),
            l.max_reserved_gib_per_device.is_some(),
            l.max_stored_gib_per_device.is_some(),
            l.max_enrollments_per_minute.is_some(),
            f.tls.cert.is_some(),
            f.tls.key.is_some(),
            f.receipt.key.is_some(),
            f.receipt.previous_keys.is_some(),
            f.database.url.is_some(),
            f.storage.path.is_some(),
        ] {
            assert!(set, "the example leaves a field out: {f:?}");
        }
    }

    #[test]
    fn the_example_file_says_the_defaults() {
        let s = ServeSettings::from_parts(
            Some((Path::new("/etc/temoin-intake/config.toml"), &example())),
            &ServeFlags::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let default = ServeSettings::for_dir(
            Path::new("/var/lib/temoin-intake"),
            DEFAULT_LISTEN.parse().unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(s.dir, default.dir);
        assert_eq!(s.listen, default.listen);
        assert_eq!(s.tls_cert, default.tls_cert);
        assert_eq!(s.tls_key, default.tls_key);
        assert_eq!(s.receipt_key, default.receipt_key);
        assert_eq!(s.previous_receipt_keys, default.previous_receipt_keys);
        assert_eq!(s.store, default.store);
        assert_eq!(
            s.database.as_deref(),
            Some(crate::db::sqlite_url(&default.dir).as_str())
        );
        let mut from_file = Config::default();
        s.limits.apply(&mut from_file);
        assert_eq!(
            serde_json::to_value(&from_file).unwrap_or_else(|e| panic!("{e}")),
            serde_json::to_value(Config::default()).unwrap_or_else(|e| panic!("{e}")),
            "the example's limits are not the built-in defaults"
        );
    }

    #[test]
    fn an_unknown_field_is_refused_by_name_and_place() {
        let e = refusal("[limits]\nmax_upload_mb = 10\n");
        assert!(e.contains("/etc/temoin-intake/config.toml"), "{e}");
        assert!(e.contains("max_upload_mb"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        let e = refusal("[server]\ndir = \"/srv\"\n[cache]\nsize = 1\n");
        assert!(e.contains("cache"), "{e}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_with_its_place() {
        let e = refusal("[limits]\nquota_gib = \"lots\"\n");
        assert!(e.contains("line 2"), "{e}");
        assert!(e.contains("quota_gib") || e.contains("integer"), "{e}");
        let e = refusal("[server]\nlisten = \"not an address\"\n");
        assert!(e.contains("line 2"), "{e}");
        let e = refusal("[server\n");
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn an_unknown_storage_kind_is_refused() {
        let e = refusal("[storage]\nkind = \"ftp\"\n");
        assert!(
            e.contains("ftp") && e.contains("local") && e.contains("s3"),
            "{e}"
        );
    }

    fn settings_of(text: &str) -> Result<ServeSettings, SetupError> {
        let path = Path::new("/etc/temoin-intake/config.toml");
        let f = ConfigFile::parse(path, text)?;
        ServeSettings::from_parts(Some((path, &f)), &ServeFlags::default())
    }

    #[test]
    fn an_s3_store_is_read_with_its_secret_file_beside_the_server() {
        let s = settings_of(
            "[server]\ndir = \"/srv/intake\"\n[storage]\nkind = \"s3\"\n\
             endpoint = \"http://127.0.0.1:8333\"\nbucket = \"b\"\n\
             access_key_id = \"k\"\nsecret_access_key_file = \"s3-secret\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let s3 = s.s3.unwrap_or_else(|| panic!("no S3 settings"));
        assert_eq!(s3.bucket, "b");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(
            s3.secret_access_key_file,
            Path::new("/srv/intake/s3-secret")
        );
    }

    #[test]
    fn an_s3_store_without_a_field_it_needs_names_the_field() {
        let e = settings_of(
            "[server]\ndir = \"/srv/intake\"\n[storage]\nkind = \"s3\"\n\
             endpoint = \"http://127.0.0.1:8333\"\naccess_key_id = \"k\"\n\
             secret_access_key_file = \"s\"\n",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("`bucket`"), "{e}");
        // Bucket fields without kind = "s3" would leave bundles on the
        // local disk unnoticed.
        let e = settings_of("[server]\ndir = \"/srv/intake\"\n[storage]\nbucket = \"b\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("kind = \"s3\""), "{e}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("nowhere.toml");
        match ConfigFile::load(&path) {
            Err(e @ SetupError::ConfigFile { .. }) => {
                let text = e.to_string();
                assert!(text.contains(&path.display().to_string()), "{text}");
                assert!(text.contains("cannot be read"), "{text}");
            }
            other => panic!("expected a configuration file error, got {other:?}"),
        }
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_the_defaults() {
        let f = ConfigFile::parse(
            Path::new("/etc/temoin-intake/config.toml"),
            "[server]\ndir = \"intake\"\nlisten = \"127.0.0.1:9000\"\n\
             [tls]\ncert = \"/etc/ssl/intake.pem\"\n[storage]\npath = \"bundles\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let file = Some((Path::new("/etc/temoin-intake/config.toml"), &f));
        let s = ServeSettings::from_parts(file, &ServeFlags::default())
            .unwrap_or_else(|e| panic!("{e}"));
        // A relative folder is taken from the file's own folder.
        assert_eq!(s.dir, PathBuf::from("/etc/temoin-intake/intake"));
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.tls_cert, PathBuf::from("/etc/ssl/intake.pem"));
        assert_eq!(s.tls_key, s.dir.join("tls/key.pem"));
        assert_eq!(s.store, s.dir.join("bundles"));
        let flags = ServeFlags {
            config: None,
            dir: Some(PathBuf::from("/srv/intake")),
            listen: Some("127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}"))),
        };
        let s = ServeSettings::from_parts(file, &flags).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.dir, PathBuf::from("/srv/intake"));
        assert_eq!(s.listen.port(), 0);
        assert_eq!(s.store, PathBuf::from("/srv/intake/bundles"));
    }

    #[test]
    fn a_file_without_a_folder_says_so() {
        let f = ConfigFile::default();
        let file = Some((Path::new("/etc/temoin-intake/config.toml"), &f));
        match ServeSettings::from_parts(file, &ServeFlags::default()) {
            Err(e @ SetupError::ConfigFile { .. }) => assert!(e.to_string().contains("[server]")),
            other => panic!("expected a configuration file error, got {other:?}"),
        }
    }

    #[test]
    fn limits_left_out_keep_config_json() {
        let mut c = Config {
            max_upload_bytes: 5,
            quota_bytes: 7,
            ..Config::default()
        };
        LimitsSection {
            quota_gib: Some(1),
            ..LimitsSection::default()
        }
        .apply(&mut c);
        assert_eq!(c.max_upload_bytes, 5);
        assert_eq!(c.quota_bytes, GIB);
    }

    #[test]
    fn debug_never_shows_the_database_url() {
        let f = ConfigFile::parse(
            Path::new("c.toml"),
            "[database]\nurl = \"postgres://intake:s3cret@db/intake\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{f:?}").contains("s3cret"));
        let s = ServeSettings::from_parts(
            Some((Path::new("c.toml"), &f)),
            &ServeFlags {
                dir: Some(PathBuf::from("/srv")),
                ..ServeFlags::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}
