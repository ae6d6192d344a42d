//! `cargo xtask split-web`: Trunk's post-build hook that splits the web app's wasm
//! into a main module and one module per page (ADR 0018).
//!
//! Trunk builds one module: it runs wasm-bindgen on Cargo's output and cannot split
//! it. Splitting needs that output's relocations (`--emit-relocs`, set in
//! .cargo/config.toml), which wasm-bindgen drops, and wasm-bindgen must then keep the
//! function table's export for the page modules (`--keep-lld-exports`), which Trunk
//! does not pass. So this hook splits Cargo's output itself and puts the result in
//! place of Trunk's, under Trunk's names:
//! - the main module, through wasm-bindgen (the version Cargo.lock pins) and, for a
//!   release, binaryen's `wasm-opt -Oz`;
//! - each page module and the shared modules, through `wasm-opt -Oz`;
//! - the loader script that fetches them;
//! - index.html's links to them, with their integrity hashes, and a preload of the
//!   loader script.
//!
//! Every file is named after its final content (`name-<16 hex digits>`), so that the
//! server may cache it for good: the main module and its script after everything the
//! build produced, since the loader names them.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::Result;
use crate::say;
use crate::tools::run;

/// The wasm Cargo built for the web app (Trunk's `data-cargo-profile`).
fn cargo_output(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm32-unknown-unknown")
        .join("wasm-release")
        .join("mediconnect-frontend.wasm")
}

fn env_path(name: &str) -> Result<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .ok_or_else(|| format!("{name} is not set: `cargo xtask split-web` is Trunk's hook"))
}

pub fn split_web() -> Result {
    let staging = env_path("TRUNK_STAGING_DIR")?;
    let release = std::env::var("TRUNK_PROFILE").as_deref() == Ok("release");
    let input = cargo_output(&crate::root());
    say("Splitting the web app into a module per page");
    let wasm = std::fs::read(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    // Trunk's names: <stem>.js and <stem>_bg.wasm, where <stem> ends with the hash of the
    // file Cargo wrote: a check that this is the build Trunk just made.
    let stem = std::fs::read_dir(&staging)
        .map_err(|e| format!("{}: {e}", staging.display()))?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .find_map(|n| {
            n.strip_suffix("_bg.wasm")
                .filter(|s| s.starts_with(NAME))
                .map(str::to_owned)
        })
        .ok_or("Trunk's wasm is not in its staging directory")?;
    if !stem.ends_with(&format!("-{}", trunk_hash(&wasm))) {
        return Err(format!(
            "{} is not the wasm Trunk just built ({stem}); is Cargo's target directory \
             elsewhere than CARGO_TARGET_DIR or ./target?",
            input.display()
        ));
    }
    let (wasm_bindgen, wasm_opt) = (wasm_bindgen()?, wasm_opt(release)?);

    let work = input.with_file_name("split");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let main = work.join("main.wasm");
    let main_module = format!("./{stem}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&wasm);
        opts.output_dir = &work;
        opts.main_out_path = &main;
        opts.main_module = &main_module;
        opts.link_name = LINK;
        opts
    })
    .map_err(|e| format!("splitting the web app's wasm: {e:#}"))?;

    let bindgen = work.join("bindgen");
    run(Command::new(&wasm_bindgen)
        .arg(&main)
        .args(["--target", "web", "--no-typescript", "--keep-lld-exports"])
        .arg("--out-dir")
        .arg(&bindgen)
        .args(["--out-name", &stem]))?;
    let main_path = work.join("main.opt.wasm");
    optimize(
        wasm_opt.as_deref(),
        &bindgen.join(format!("{stem}_bg.wasm")),
        &main_path,
    )?;
    let main_bytes = std::fs::read(&main_path).map_err(|e| e.to_string())?;
    let glue = read(&bindgen.join(format!("{stem}.js")))?;

    // Page and shared modules, renamed after their content.
    let mut link = without_comments(&read(&work.join(LINK))?);
    let mut all = Sha256::new();
    all.update(&main_bytes);
    all.update(glue.as_bytes());
    for module in &split.split_modules {
        let name = file_name(module)?;
        let module_stem = name.trim_end_matches(".wasm");
        let optimized = work.join(format!("{module_stem}.opt.wasm"));
        optimize(wasm_opt.as_deref(), module, &optimized)?;
        let bytes = std::fs::read(&optimized).map_err(|e| e.to_string())?;
        all.update(&bytes);
        let hashed = format!("{module_stem}-{}.wasm", content_hash(&bytes));
        write(&staging.join(&hashed), &bytes)?;
        link = replace_all(&link, &format!("\"./{name}\""), &format!("\"./{hashed}\""))?;
    }
    // Trunk named the main files after Cargo's output, which does not decide all of
    // what they hold now (the splitter, wasm-opt and this hook do too): they are
    // renamed after their final content, as the page modules are.
    let final_stem = format!("{NAME}-{}", hex16(&all.finalize()));
    let link = replace_all(
        &link,
        &format!("from \"./{stem}.js\""),
        &format!("from \"./{final_stem}.js\""),
    )?;
    let link_name = format!("__wasm_split-{}.js", content_hash(link.as_bytes()));
    write(&staging.join(&link_name), link.as_bytes())?;
    // The main module's script imports the loader by its new name (the wasm's import
    // keeps the old one, as the key of the loader's functions).
    let glue = replace_all(
        &glue,
        &format!("from \"{LINK}\""),
        &format!("from \"./{link_name}\""),
    )?;
    for old in [format!("{stem}.js"), format!("{stem}_bg.wasm")] {
        std::fs::remove_file(staging.join(&old)).map_err(|e| format!("{old}: {e}"))?;
    }
    write(&staging.join(format!("{final_stem}.js")), glue.as_bytes())?;
    write(&staging.join(format!("{final_stem}_bg.wasm")), &main_bytes)?;

    let index = staging.join("index.html");
    let html = read(&index)?;
    let html = replace_all(&html, &format!("/{stem}.js"), &format!("/{final_stem}.js"))?;
    let html = replace_all(
        &html,
        &format!("/{stem}_bg.wasm"),
        &format!("/{final_stem}_bg.wasm"),
    )?;
    let html = with_integrity(&html, &format!("/{final_stem}.js"), glue.as_bytes())?;
    let html = with_integrity(&html, &format!("/{final_stem}_bg.wasm"), &main_bytes)?;
    let html = with_loader_preload(&html, &link_name, link.as_bytes())?;
    write(&index, html.as_bytes())?;
    println!(
        "    {final_stem}: the main module, and {} page and shared modules",
        split.split_modules.len()
    );
    Ok(())
}

/// The start of the web app's file names (its Cargo package).
const NAME: &str = "mediconnect-frontend";

/// Trunk's hash of a file (seahash, in hex without leading zeros).
fn trunk_hash(bytes: &[u8]) -> String {
    use std::hash::Hasher;
    let mut hasher = seahash::SeaHasher::new();
    hasher.write(bytes);
    format!("{:x}", hasher.finish())
}

/// The wasm-bindgen CLI that Cargo.lock pins: the one on PATH if it is that version,
/// otherwise the one `cargo xtask` installs (installing it if missing).
fn wasm_bindgen() -> Result<PathBuf> {
    let locked = crate::tools::locked_wasm_bindgen()?;
    let on_path = PathBuf::from("wasm-bindgen");
    if crate::tools::tool_version(&on_path).as_deref() == Some(locked.as_str()) {
        return Ok(on_path);
    }
    crate::tools::ensure_wasm_bindgen()
}

/// For a release, binaryen's wasm-opt of the version known to work (Debian's older one
/// makes wasm that Chromium refuses): the one on PATH if it is that version, otherwise
/// the one `cargo xtask` installs (installing it if missing).
fn wasm_opt(release: bool) -> Result<Option<PathBuf>> {
    if !release {
        return Ok(None);
    }
    let on_path = PathBuf::from("wasm-opt");
    if crate::tools::is_pinned_wasm_opt(&on_path) {
        return Ok(Some(on_path));
    }
    Ok(Some(crate::tools::ensure_wasm_opt()?.join("wasm-opt")))
}

/// The loader script's name as the splitter writes it, before it is hashed.
const LINK: &str = "./__wasm_split.js";

fn optimize(wasm_opt: Option<&Path>, from: &Path, to: &Path) -> Result {
    match wasm_opt {
        Some(wasm_opt) => run(Command::new(wasm_opt)
            .arg("-Oz")
            .arg(from)
            .arg("-o")
            .arg(to)),
        None => std::fs::copy(from, to)
            .map(drop)
            .map_err(|e| format!("{}: {e}", to.display())),
    }
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: no file name", path.display()))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Sixteen hex digits of the SHA-256 of `bytes`, as long as Trunk's hashes, which the
/// server recognizes as content hashes (cached as immutable).
fn content_hash(bytes: &[u8]) -> String {
    hex16(&Sha256::digest(bytes))
}

fn hex16(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The loader script without its block comments: the splitter writes, above each of
/// its two hundred shared modules, the names of all the pages that use it, which every
/// first visit would download (a third of the script, gzipped).
fn without_comments(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut rest = script;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start..].find("*/") {
            Some(end) => {
                rest = &rest[start + end + 2..];
                // The comment's own line goes with it.
                if out.ends_with('\n') && rest.starts_with('\n') {
                    rest = &rest[1..];
                }
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` with every `from` replaced by `to`; an error if there is none, so that a
/// change in a tool's output fails the build instead of the page.
fn replace_all(text: &str, from: &str, to: &str) -> Result<String> {
    if text.contains(from) {
        Ok(text.replace(from, to))
    } else {
        Err(format!("expected `{from}` in a generated file"))
    }
}

fn sri(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha384};
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// `html` with the integrity hash of the tag linking `href` recomputed for `bytes`.
fn with_integrity(html: &str, href: &str, bytes: &[u8]) -> Result<String> {
    let at = html
        .find(&format!("href=\"{href}\""))
        .ok_or_else(|| format!("index.html does not link {href}"))?;
    let tag_start = html[..at].rfind('<').unwrap_or(0);
    let tag_end = at
        + html[at..]
            .find('>')
            .ok_or("index.html: a tag is not closed")?;
    let tag = &html[tag_start..tag_end];
    let Some(attr) = tag.find("integrity=\"") else {
        return Ok(html.to_owned());
    };
    let value_start = tag_start + attr + "integrity=\"".len();
    let value_end = value_start
        + html[value_start..]
            .find('"')
            .ok_or("index.html: an attribute is not closed")?;
    Ok(format!(
        "{}{}{}",
        &html[..value_start],
        sri(bytes),
        &html[value_end..]
    ))
}

/// `html` with a preload of the loader script next to the main script's, so that the
/// browser fetches both at once instead of one after the other.
fn with_loader_preload(html: &str, link_name: &str, bytes: &[u8]) -> Result<String> {
    let tag = format!(
        "<link rel=\"modulepreload\" href=\"/{link_name}\" crossorigin=\"anonymous\" \
         integrity=\"{}\">",
        sri(bytes)
    );
    let at = html.find("</head>").ok_or("index.html has no </head>")?;
    Ok(format!("{}{tag}\n{}", &html[..at], &html[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recomputes_the_integrity_of_the_named_file_only() {
        let html = concat!(
            r#"<head><link rel="modulepreload" href="/app-1.js" crossorigin="anonymous" "#,
            r#"integrity="sha384-old"><link rel="preload" href="/app-1_bg.wasm" "#,
            r#"integrity="sha384-other" as="fetch"></head>"#
        );
        let out = with_integrity(html, "/app-1.js", b"new").unwrap();
        assert!(out.contains(&format!(
            "href=\"/app-1.js\" crossorigin=\"anonymous\" integrity=\"{}\"",
            sri(b"new")
        )));
        assert!(out.contains("integrity=\"sha384-other\""));
        assert!(with_integrity(html, "/missing.js", b"x").is_err());
    }

    #[test]
    fn adds_a_preload_of_the_loader() {
        let out = with_loader_preload("<head><title>t</title></head><body></body>", "l-1.js", b"x")
            .unwrap();
        assert!(
            out.starts_with("<head><title>t</title><link rel=\"modulepreload\" href=\"/l-1.js\"")
        );
        assert!(out.ends_with("</head><body></body>"));
    }

    #[test]
    fn the_loader_loses_its_comments_and_nothing_else() {
        let script = "let a = 1;\n/* page_a, page_b */\nconst c = f(\"./x.wasm\", a / 2);\n\
                      g(/* inline */ 3);\n/* unterminated";
        assert_eq!(
            without_comments(script),
            "let a = 1;\nconst c = f(\"./x.wasm\", a / 2);\ng( 3);\n/* unterminated"
        );
        assert_eq!(without_comments("no comments"), "no comments");
    }

    #[test]
    fn names_are_replaced_everywhere_and_must_be_there() {
        let from = "\"./x.wasm\"";
        let text = format!("a {from} b {from}");
        let out = replace_all(&text, from, "\"./y.wasm\"").unwrap();
        assert_eq!(out, "a \"./y.wasm\" b \"./y.wasm\"");
        assert!(replace_all("none", from, "y").is_err());
        assert_eq!(content_hash(b"abc").len(), 16);
    }
}
