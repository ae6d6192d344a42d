//! `cargo xtask split-web`: Trunk's post-build hook that splits the web app's wasm
//! into a main module and one module per page (ADR 0018).
//!
//! Trunk builds one module: it runs wasm-bindgen on Cargo's output and cannot split
//! it. Splitting needs that output's relocations (`--emit-relocs`, set in
//! .cargo/config.toml), which wasm-bindgen drops, and wasm-bindgen must then keep the
//! function table's export for the page modules (`--keep-lld-exports`), which Trunk
//! does not pass. So this hook splits Cargo's output itself and puts the result in
//! place of Trunk's, under Trunk's names:
//! - the main module, through wasm-bindgen (the same version as Trunk's) and, for a
//!   release, binaryen's `wasm-opt -Oz`;
//! - each page module and the shared modules, through `wasm-opt -Oz`, named after
//!   their content (`name-<hash>.wasm`), as Trunk names files, so that the server
//!   may cache them for good;
//! - the loader script that fetches them, named after its content too;
//! - index.html's integrity hashes for the rewritten files, and a preload of the
//!   loader script.

use std::path::{Path, PathBuf};
use std::process::Command;

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
    // Trunk's names: <stem>.js and <stem>_bg.wasm.
    let stem = std::fs::read_dir(&staging)
        .map_err(|e| format!("{}: {e}", staging.display()))?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .find_map(|n| {
            n.strip_suffix("_bg.wasm")
                .filter(|s| s.starts_with("mediconnect-frontend"))
                .map(str::to_owned)
        })
        .ok_or("Trunk's wasm is not in its staging directory")?;

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

    // The main module's script must come from the wasm-bindgen Cargo.lock pins.
    let locked = crate::tools::locked_wasm_bindgen()?;
    let found = crate::tools::tool_version(Path::new("wasm-bindgen"));
    if found.as_deref() != Some(locked.as_str()) {
        return Err(format!(
            "the web app needs wasm-bindgen {locked} on PATH, found {}; `cargo xtask run` \
             installs it",
            found.as_deref().unwrap_or("none")
        ));
    }
    let bindgen = work.join("bindgen");
    run(Command::new("wasm-bindgen")
        .arg(&main)
        .args(["--target", "web", "--no-typescript", "--keep-lld-exports"])
        .arg("--out-dir")
        .arg(&bindgen)
        .args(["--out-name", &stem]))?;
    let main_wasm = staging.join(format!("{stem}_bg.wasm"));
    optimize(
        &bindgen.join(format!("{stem}_bg.wasm")),
        &main_wasm,
        release,
    )?;

    // Page and shared modules, renamed after their content.
    let mut link = read(&work.join(LINK))?;
    let mut modules = 0;
    for module in &split.split_modules {
        let name = file_name(module)?;
        let stem = name.trim_end_matches(".wasm");
        let optimized = work.join(format!("{stem}.opt.wasm"));
        optimize(module, &optimized, release)?;
        let bytes = std::fs::read(&optimized).map_err(|e| e.to_string())?;
        let hashed = format!("{stem}-{}.wasm", content_hash(&bytes));
        write(&staging.join(&hashed), &bytes)?;
        link = replace_all(&link, &format!("\"./{name}\""), &format!("\"./{hashed}\""))?;
        modules += 1;
    }
    let link_name = format!("__wasm_split-{}.js", content_hash(link.as_bytes()));
    write(&staging.join(&link_name), link.as_bytes())?;

    // The main module's script imports the loader by its new name (the wasm's import
    // keeps the old one, as the key of the loader's functions).
    let glue = read(&bindgen.join(format!("{stem}.js")))?;
    let glue = replace_all(
        &glue,
        &format!("from \"{LINK}\""),
        &format!("from \"./{link_name}\""),
    )?;
    let glue_path = staging.join(format!("{stem}.js"));
    write(&glue_path, glue.as_bytes())?;

    let index = staging.join("index.html");
    let html = read(&index)?;
    let html = with_integrity(&html, &format!("/{stem}.js"), glue.as_bytes())?;
    let main_bytes = std::fs::read(&main_wasm).map_err(|e| e.to_string())?;
    let html = with_integrity(&html, &format!("/{stem}_bg.wasm"), &main_bytes)?;
    let html = with_loader_preload(&html, &link_name, link.as_bytes())?;
    write(&index, html.as_bytes())?;
    println!("    {modules} page and shared modules, loaded by {link_name}");
    Ok(())
}

/// The loader script's name as the splitter writes it, before it is hashed.
const LINK: &str = "./__wasm_split.js";

fn optimize(from: &Path, to: &Path, release: bool) -> Result {
    if release {
        run(Command::new("wasm-opt")
            .arg("-Oz")
            .arg(from)
            .arg("-o")
            .arg(to))
    } else {
        std::fs::copy(from, to)
            .map(drop)
            .map_err(|e| format!("{}: {e}", to.display()))
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
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
        "<link rel=\"modulepreload\" href=\"/{link_name}\" crossorigin=\"anonymous\" integrity=\"{}\">",
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
        let html = r#"<head><link rel="modulepreload" href="/app-1.js" crossorigin="anonymous" integrity="sha384-old"><link rel="preload" href="/app-1_bg.wasm" integrity="sha384-other" as="fetch"></head>"#;
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
    fn names_are_replaced_everywhere_and_must_be_there() {
        let from = "\"./x.wasm\"";
        let text = format!("a {from} b {from}");
        let out = replace_all(&text, from, "\"./y.wasm\"").unwrap();
        assert_eq!(out, "a \"./y.wasm\" b \"./y.wasm\"");
        assert!(replace_all("none", from, "y").is_err());
        assert_eq!(content_hash(b"abc").len(), 16);
    }
}
