//! The committed reference docs are generated from the schema descriptions;
//! this test fails when they drift. `HWSNAP_UPDATE_DOCS=1 cargo test --test
//! acceptance docs` rewrites the generated parts (between the markers) in
//! place, leaving the hand-written prose around them alone.

use std::path::PathBuf;

use hwsnap::{HwsnapProvider, Serves};
use hwsnap_framework::{Server, docs};

fn page(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn check(rel: &str, generated: &str) {
    let path = page(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{rel} is missing ({e}); every resource needs a docs page"));
    let current = docs::generated_part(&text).unwrap_or_else(|| {
        panic!(
            "{rel} lacks the generated schema section; add the lines\n{}\n{}\nand run HWSNAP_UPDATE_DOCS=1 cargo test --test acceptance docs",
            docs::BEGIN,
            docs::END
        )
    });
    if current == generated {
        return;
    }
    if std::env::var_os("HWSNAP_UPDATE_DOCS").is_some() {
        let updated = docs::replace_generated(&text, generated).expect("markers were found above");
        std::fs::write(&path, updated).expect("docs page is writable");
        return;
    }
    panic!(
        "{rel} has drifted from the schema; run HWSNAP_UPDATE_DOCS=1 cargo test --test acceptance docs\n\
         --- expected ---\n{generated}\n--- found ---\n{current}"
    );
}

#[test]
fn resource_docs_match_schema() {
    let server = Server::new(HwsnapProvider::new(Serves::All));
    for ty in server.resource_types() {
        let schema = server
            .resource_schema(ty)
            .expect("served type has a schema");
        check(&format!("docs/resources/{ty}.md"), &docs::reference(schema));
    }
}

#[test]
fn provider_docs_match_schema() {
    let server = Server::new(HwsnapProvider::new(Serves::All));
    check("docs/index.md", &docs::reference(server.provider_schema()));
}
