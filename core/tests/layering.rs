//! The IR is the bottom layer: nothing in `core/src/ir/` imports from `core/src/expr/` (the
//! catalog the canonicalizer needs lives in `ir/catalog.rs`).

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn ir_does_not_import_expr() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ir");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(files.len() >= 3, "ir/ has its files: {files:?}");
    let mut offending = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if ["crate::expr", "super::expr", "pgpolicy::expr"]
                .iter()
                .any(|p| code.contains(p))
            {
                offending.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(offending.is_empty(), "ir/ imports expr/: {offending:#?}");
}
