//! `#[both_backends]`: one integration test written once, run on SQLite and on
//! PostgreSQL. The test is an `async fn name(backend: Backend)`; the attribute turns it
//! into a module `name` with the tests `sqlite` and `postgres`, each a multi-threaded
//! Tokio test that calls it with its backend. Being an attribute, not a `macro_rules!`
//! block, it leaves the test body to rustfmt.

use proc_macro::TokenStream;
use quote::quote;
use syn::{ItemFn, parse_macro_input};

#[proc_macro_attribute]
pub fn both_backends(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[both_backends] takes no arguments",
        )
        .to_compile_error()
        .into();
    }
    let test = parse_macro_input!(item as ItemFn);
    if test.sig.asyncness.is_none() || test.sig.inputs.len() != 1 {
        return syn::Error::new_spanned(
            &test.sig,
            "#[both_backends] goes on an `async fn name(backend: Backend)`",
        )
        .to_compile_error()
        .into();
    }
    let name = &test.sig.ident;
    let attrs = &test.attrs;
    let vis = &test.vis;
    let mut body = test.clone();
    body.attrs.clear();
    body.sig.ident = syn::Ident::new("run", name.span());
    body.vis = syn::Visibility::Inherited;
    quote! {
        #(#attrs)*
        #vis mod #name {
            #[allow(unused_imports)]
            use super::*;

            #body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(crate::helpers::Backend::Postgres).await
            }
        }
    }
    .into()
}
