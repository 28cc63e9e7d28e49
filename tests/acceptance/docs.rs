//! The committed reference docs are generated from the schema descriptions;
//! this test fails when they drift. `HWSNAP_UPDATE_DOCS=1 cargo test --test
//! acceptance docs` rewrites the generated parts (between the markers) in
//! place, leaving the hand-written prose around them alone.
//!
//! The pages are the server's list: `docs/index.md` for the provider, and
//! one page per served type under `docs/resources/`, `docs/data-sources/`,
//! `docs/list-resources/` and `docs/actions/`.

use std::path::PathBuf;

use hwsnap::{HwsnapProvider, Serves};
use hwsnap_framework::Server;
use hwsnap_framework::docs::{self, Page, PageCheck};

fn check(page: &Page) {
    let rel = &page.path;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{rel} is missing ({e}); every served type needs a docs page"));
    match docs::check_page(&text, &page.generated) {
        PageCheck::Current => {}
        PageCheck::NoMarkers => panic!(
            "{rel} lacks the generated schema section; add the lines\n{}\n{}\nand run HWSNAP_UPDATE_DOCS=1 cargo test --test acceptance docs",
            docs::BEGIN,
            docs::END
        ),
        PageCheck::Drifted { updated, .. } if std::env::var_os("HWSNAP_UPDATE_DOCS").is_some() => {
            std::fs::write(&path, updated).expect("docs page is writable");
        }
        PageCheck::Drifted { found, .. } => panic!(
            "{rel} has drifted from the schema; run HWSNAP_UPDATE_DOCS=1 cargo test --test acceptance docs\n\
             --- expected ---\n{}\n--- found ---\n{found}",
            page.generated
        ),
    }
}

fn pages() -> Vec<Page> {
    Server::new(HwsnapProvider::new(Serves::All)).doc_pages()
}

#[test]
fn resource_docs_match_schema() {
    let pages: Vec<Page> = pages()
        .into_iter()
        .filter(|p| p.path != "docs/index.md")
        .collect();
    assert!(
        pages
            .iter()
            .any(|p| p.path == "docs/resources/dws_snapshot.md")
            && pages
                .iter()
                .any(|p| p.path == "docs/resources/css_index_snapshot.md"),
        "{pages:?}"
    );
    pages.iter().for_each(check);
}

#[test]
fn provider_docs_match_schema() {
    let pages = pages();
    let provider = pages
        .iter()
        .find(|p| p.path == "docs/index.md")
        .expect("the provider's page is listed");
    check(provider);
}
