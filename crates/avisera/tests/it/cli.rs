//! The command line as support staff and scripts use it.

use std::io::Write;
use std::process::{Command, Stdio};

fn sms_count(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_avisera"))
        .arg("sms-count")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn sms_count_prints_encoding_characters_and_segments() {
    let out = sms_count(
        &[],
        "Hej Åsa! Ditt paket från Ørsted väntar på ICA. 10€ rabatt nästa gång.\n",
    );
    assert_eq!(
        out,
        "encoding:   GSM-7\ncharacters: 69\nunits:      70 septets\nsegments:   1\n"
    );
    let out = sms_count(&[], &"Paket 📦 ".repeat(10));
    assert!(
        out.contains("encoding:   UCS-2")
            && out.contains("units:      90 UTF-16 units")
            && out.contains("segments:   2"),
        "{out}"
    );
}

#[test]
fn sms_count_shows_what_transliteration_saves() {
    let text = "Ditt paket – “snart” hos dig…";
    let plain: serde_json::Value = serde_json::from_str(&sms_count(&["--json"], text)).unwrap();
    assert_eq!(plain["encoding"], "UCS-2");
    let cheap: serde_json::Value = serde_json::from_str(&sms_count(&["--json", "--transliterate"], text)).unwrap();
    assert_eq!(cheap["encoding"], "GSM-7");
    assert_eq!(cheap["text"], "Ditt paket - \"snart\" hos dig...");
    assert_eq!(cheap["segments"], 1);
}
