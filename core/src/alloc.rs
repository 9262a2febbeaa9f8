//! The allocator of the CLI and of both packages (the `fast-alloc` feature): mimalloc,
//! for the many small trees canonicalization builds and drops (the system allocator was a
//! quarter of its instructions).
//!
//! Tuned for peak memory, before anything is allocated, unless the environment says
//! otherwise: freed memory goes back to the
//! system at once (`purge_delay` 0) and arenas are committed as they are used
//! (`arena_eager_commit` 0). With mimalloc's defaults a plan of 30,000 policies peaked
//! at 82 MiB instead of 52 MiB.

use std::os::raw::{c_char, c_int, c_long};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn getenv(name: *const c_char) -> *mut c_char;
}

/// mimalloc's option numbers (`mi_option_t` in mimalloc.h, the same in its versions 2
/// and 3; `core/tests/cli.rs` checks them by name: mimalloc prints them with
/// `MIMALLOC_VERBOSE=1`).
const ARENA_EAGER_COMMIT: c_int = 4;
const PURGE_DELAY: c_int = 15;

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
extern "C" fn tune() {
    // An option set in the environment (`MIMALLOC_PURGE_DELAY=...`) is the user's and
    // is left to mimalloc. `getenv` allocates nothing.
    // SAFETY: mimalloc's documented API (options may be set at any time) and libc's
    // getenv on NUL-terminated literals; this runs once, before `main` (or when the
    // package's library is loaded), before any thread is started.
    unsafe {
        for (option, name) in [
            (ARENA_EAGER_COMMIT, c"MIMALLOC_ARENA_EAGER_COMMIT"),
            (PURGE_DELAY, c"MIMALLOC_PURGE_DELAY"),
        ] {
            if getenv(name.as_ptr()).is_null() {
                mi_option_set(option, 0);
            }
        }
    }
}

/// Runs [`tune`] when the program starts or the library is loaded, before Rust allocates.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static TUNE: extern "C" fn() = tune;
