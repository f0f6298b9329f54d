//! The command examples of the README, run against the binary with trycmd, so that what the
//! README shows cannot drift from what kspm prints. The README's commands run in the
//! repository's root (trycmd's `<name>.in/`, a link to it next to a copy of the README).

use std::path::PathBuf;

#[test]
fn readme_examples_print_what_the_binary_prints() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    // The node example writes a fixture node here; a previous run's copy would be refused.
    let _ = std::fs::remove_dir_all(root.join("target/readme-examples"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("README.md"), dir.path().join("README.md")).unwrap();
    std::os::unix::fs::symlink(&root, dir.path().join("README.in")).unwrap();
    trycmd::TestCases::new()
        .register_bin("kspm", PathBuf::from(env!("CARGO_BIN_EXE_kspm")))
        .env("NO_COLOR", "1")
        .case(dir.path().join("README.md"));
}
