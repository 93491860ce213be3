//! Where the release binary finds the site it was built with, when no `LEPTOS_*` variable says.
//!
//! `cargo leptos build --release` builds the server beside its site (`target/release/icp-builder`,
//! `target/site/pkg/icp-builder.HASH.wasm`, the hashes in `target/release/hash.txt`), and
//! `cargo leptos serve` tells the binary so through six `LEPTOS_*` variables. Run bare
//! (`icp-builder`, as the README says), Leptos's defaults named an unhashed bundle that is not there
//! (404: the builder never hydrated). So a release build defaults to what
//! `[package.metadata.leptos]` in Cargo.toml builds (`BUILT`), each variable still overriding its
//! setting. The site root: `site` beside the binary's own directory (`target/release/../site`) when
//! it is there, so the binary serves its own build from any working directory; else Leptos's default
//! (`target/site` under the working directory). Debug builds keep Leptos's defaults (`cargo leptos
//! watch` sets every variable).

use leptos::config::{Env, LeptosOptions};
use std::path::Path;

/// The settings `[package.metadata.leptos]` builds the release with (a test holds them to Cargo.toml).
pub struct Built {
    pub output_name: &'static str,
    pub site_pkg_dir: &'static str,
    pub hash_files: bool,
    pub hash_file: &'static str,
}

pub const BUILT: Built = Built {
    output_name: "icp-builder",
    site_pkg_dir: "pkg",
    hash_files: true,
    hash_file: "hash.txt",
};

/// Applies `BUILT` (and the site root found from `exe`, the running binary) to every setting whose
/// variable `is_set` says is not given.
pub fn release_defaults(
    options: &mut LeptosOptions,
    is_set: impl Fn(&str) -> bool,
    exe: Option<&Path>,
) {
    if !is_set("LEPTOS_OUTPUT_NAME") {
        options.output_name = BUILT.output_name.into();
    }
    if !is_set("LEPTOS_SITE_PKG_DIR") {
        options.site_pkg_dir = BUILT.site_pkg_dir.into();
    }
    if !is_set("LEPTOS_HASH_FILES") {
        options.hash_files = BUILT.hash_files;
    }
    if !is_set("LEPTOS_HASH_FILE_NAME") {
        options.hash_file = BUILT.hash_file.into();
    }
    if !is_set("LEPTOS_ENV") {
        options.env = Env::PROD;
    }
    let beside = exe
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(|target| target.join("site"))
        .filter(|site| site.join(&*options.site_pkg_dir).is_dir());
    if let Some(site) = beside.filter(|_| !is_set("LEPTOS_SITE_ROOT")) {
        options.site_root = site.to_string_lossy().into();
    }
}

/// `release_defaults` for this process: in a release build, from its environment and binary.
pub fn apply_release_defaults(options: &mut LeptosOptions) {
    if cfg!(debug_assertions) {
        return;
    }
    let exe = std::env::current_exe().ok();
    release_defaults(
        options,
        |name| std::env::var_os(name).is_some(),
        exe.as_deref(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_what_cargo_toml_builds() {
        let manifest = include_str!("../../Cargo.toml");
        let metadata = manifest
            .split("[package.metadata.leptos]")
            .nth(1)
            .expect("Cargo.toml has [package.metadata.leptos]");
        for line in [
            format!("output-name = \"{}\"", BUILT.output_name),
            format!("site-pkg-dir = \"{}\"", BUILT.site_pkg_dir),
            format!("hash-files = {}", BUILT.hash_files),
            "site-root = \"target/site\"".to_owned(),
        ] {
            assert!(
                metadata.contains(&line),
                "Cargo.toml's leptos metadata lacks `{line}`"
            );
        }
    }

    #[test]
    fn unset_variables_take_the_build_and_set_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("target/release/icp-builder");
        std::fs::create_dir_all(dir.path().join("target/site/pkg")).unwrap();
        let mut options = LeptosOptions::builder().output_name("other").build();
        release_defaults(&mut options, |_| false, Some(&exe));
        assert_eq!(&*options.output_name, "icp-builder");
        assert!(options.hash_files);
        assert_eq!(&*options.hash_file, "hash.txt");
        assert_eq!(options.env, Env::PROD);
        assert_eq!(
            Path::new(&*options.site_root),
            dir.path().join("target/site")
        );

        // Every variable given wins; a binary without a site beside it keeps the root it has.
        let mut given = LeptosOptions::builder()
            .output_name("mine")
            .site_root("elsewhere")
            .build();
        release_defaults(&mut given, |_| true, Some(&exe));
        assert_eq!(&*given.output_name, "mine");
        assert_eq!(&*given.site_root, "elsewhere");
        assert!(!given.hash_files);
        let mut lonely = LeptosOptions::builder()
            .output_name("icp-builder")
            .site_root("target/site")
            .build();
        release_defaults(
            &mut lonely,
            |_| false,
            Some(Path::new("/nowhere/bin/icp-builder")),
        );
        assert_eq!(&*lonely.site_root, "target/site");
    }
}
