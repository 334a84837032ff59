//! `tether refs extract` as a git hook runs it: keys, closing intents and Smart Commits of a
//! text given as arguments or on standard input, a failing status with `--require` when
//! no key is there, and a refused setting named.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use crate::Sandboxed;

#[tokio::test]
async fn refs_extract_reads_arguments_and_standard_input() {
    let s = Sandboxed::new();
    let (code, out, _) =
        s.run(&["refs", "extract", "Fixes SHOP-1, SHOP-2 #time 1h 30m pairing"], &[]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "keys: SHOP-1 SHOP-2\ncloses: SHOP-1 SHOP-2\ncommand: #time 1h 30m pairing → SHOP-1 SHOP-2\n"
    );
    // A commit-msg hook: the message on standard input, git's comment lines left out.
    let mut child = s
        .command(&["refs", "extract", "--require", "--json", "--project", "SHOP"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"OPS-3 and SHOP-4 #comment done\n# Please enter the commit message SHOP-9\n")
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["keys"], serde_json::json!(["SHOP-4"]));
    assert_eq!(json["commands"][0]["command"], "comment");
    let (code, _, err) = s.run(&["refs", "extract", "--require", "just a typo fix"], &[]).await;
    assert_eq!((code, err.trim()), (1, "error: the text mentions no Jira issue key"));
    let (code, _, err) = s.run(&["refs", "extract", "--prefix", "(", "x"], &[]).await;
    assert_eq!(code, 1);
    assert!(err.contains("key_prefix: not a valid regular expression"), "{err}");
}
