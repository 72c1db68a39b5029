//! The neutral face: for people who cross checkpoints, the window, its icon
//! and the launcher entry can carry a plain name ("Notes") and a plain
//! icon instead of Témoin's. It changes how the app looks on a desktop
//! glanced at; it does not hide that Témoin is installed from anyone who
//! looks at the installed packages or the disk (docs/threat-model.md).

use std::path::PathBuf;

use tauri::{AppHandle, Manager};

/// The plain name in the interface's language (the interface's own
/// `app.neutral_name`; a test keeps the two the same).
pub fn neutral_name(language: &str) -> &'static str {
    match language {
        "es" => "Notas",
        "ar" => "ملاحظات",
        _ => "Notes",
    }
}
const NEUTRAL_ICON: &[u8] = include_bytes!("../../icons/neutral-128.png");
const OWN_ICON: &[u8] = include_bytes!("../../icons/128x128.png");
/// The launcher entry the package installs, which a user-level file of the
/// same name overrides (XDG desktop entry lookup order).
const DESKTOP_FILE: &str = "temoin.desktop";

fn user_applications() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("applications"))
}

/// Applies the face to the main window, and writes or removes the user's
/// launcher override; the plain name is in `language`.
pub fn apply(app: &AppHandle, neutral: bool, home: &std::path::Path, language: &str) {
    let name = neutral_name(language);
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(if neutral { name } else { "Témoin" });
        if let Ok(icon) =
            tauri::image::Image::from_bytes(if neutral { NEUTRAL_ICON } else { OWN_ICON })
        {
            let _ = w.set_icon(icon);
        }
    }
    let Some(dir) = user_applications() else {
        return;
    };
    let entry = dir.join(DESKTOP_FILE);
    if neutral {
        let icon = home.join("neutral.png");
        let exe = std::env::current_exe().unwrap_or_default();
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(&icon, NEUTRAL_ICON);
        let _ = std::fs::write(
            &entry,
            format!(
                "[Desktop Entry]\nType=Application\nName={name}\nExec=\"{}\"\nIcon={}\nCategories=Utility;\nTerminal=false\n",
                exe.display(),
                icon.display()
            ),
        );
    } else {
        let _ = std::fs::remove_file(&entry);
        let _ = std::fs::remove_file(home.join("neutral.png"));
    }
}

#[cfg(test)]
mod tests {
    use super::neutral_name;

    /// The override must carry the name of the entry the package installs,
    /// `<productName>.desktop`; the product name is also the package's,
    /// which dpkg only takes in lower-case ASCII letters, digits and `+-.`.
    #[test]
    fn the_launcher_override_shadows_the_packages_entry() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).expect("json");
        let product = conf["productName"].as_str().expect("productName");
        assert_eq!(format!("{product}.desktop"), super::DESKTOP_FILE);
        assert!(
            product.len() >= 2
                && product.starts_with(|c: char| c.is_ascii_lowercase())
                && product
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c)),
            "{product} is not a valid Debian package name"
        );
        let template = conf["bundle"]["linux"]["deb"]["desktopTemplate"]
            .as_str()
            .expect("desktopTemplate");
        assert_eq!(template, "deb/temoin.desktop");
        assert!(include_str!("../deb/temoin.desktop").contains("\nName=Témoin\n"));
    }

    #[test]
    fn the_plain_name_is_the_interfaces_in_every_language() {
        for (language, strings) in [
            ("en", include_str!("../../ui/src/i18n/en.json")),
            ("fr", include_str!("../../ui/src/i18n/fr.json")),
            ("es", include_str!("../../ui/src/i18n/es.json")),
            ("ar", include_str!("../../ui/src/i18n/ar.json")),
        ] {
            let strings: serde_json::Value = serde_json::from_str(strings).expect("json");
            assert_eq!(
                strings["app"]["neutral_name"].as_str(),
                Some(neutral_name(language)),
                "{language}"
            );
        }
    }
}
