//! Text helpers.

/// `s` in lower case, for comparisons that ignore case (doctors' names and
/// specializations, in any script).
///
/// The browser lower-cases it: `str::to_lowercase` would compile Rust's Unicode case
/// tables into the wasm, 8 KB of gzip (ADR 0010). Text known to be ASCII, such as an
/// enum's name, uses `to_ascii_lowercase`.
pub fn lowercase(s: &str) -> String {
    String::from(js_sys::JsString::from(s).to_lower_case())
}
