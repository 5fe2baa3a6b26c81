//! Feeds arbitrary bytes to the manifest's version-edit decoder: it must not panic; whatever
//! decodes must re-encode to bytes that decode to the same edit, and applying it to a state must
//! either succeed or report corruption.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_engine::manifest::{ManifestState, VersionEdit};

fuzz_target!(|data: &[u8]| {
    let Ok(edit) = VersionEdit::decode(data) else { return };
    let again = VersionEdit::decode(&edit.encode()).expect("re-encoded edit decodes");
    assert_eq!(again, edit);
    let mut state = ManifestState::default();
    if let Err(e) = state.apply(&edit) {
        assert!(e.is_corruption());
    }
});
