//! The CLI's allocator is mimalloc, tuned for peak memory before anything is allocated
//! (`core/src/alloc.rs`).

#[test]
#[cfg(target_os = "linux")]
fn the_cli_runs_on_mimalloc_tuned_for_peak_memory() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgpolicy"))
        .arg("--version")
        .env("MIMALLOC_VERBOSE", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // mimalloc prints its options by name when it starts: ours were set before that.
    assert!(err.contains("mimalloc: process init"), "{err}");
    assert!(err.contains("option 'arena_eager_commit': 0"), "{err}");
    assert!(err.contains("option 'purge_delay': 0"), "{err}");
    // An option the user sets in the environment is theirs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgpolicy"))
        .arg("--version")
        .env("MIMALLOC_VERBOSE", "1")
        .env("MIMALLOC_PURGE_DELAY", "250")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("option 'purge_delay': 250"), "{err}");
    assert!(err.contains("option 'arena_eager_commit': 0"), "{err}");
}
