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
        "Hej Åsa! Ditt paket från Ørsted väntar på ICA. 10€ rabatt nästa gång.",
    );
    assert_eq!(
        out,
        "encoding:   GSM-7\ncharacters: 69\nunits:      70 septets\nsegments:   1\n"
    );
    // The text exactly as given, as the API and the worker count it: a final line break is
    // a character too, and an empty text is still one SMS.
    let out = sms_count(&[], &format!("{}\n", "a".repeat(160)));
    assert!(
        out.contains("characters: 161") && out.contains("segments:   2"),
        "{out}"
    );
    let out = sms_count(&["--json"], "");
    let empty: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (empty["characters"].as_u64(), empty["segments"].as_u64()),
        (Some(0), Some(1))
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

fn avisera(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_avisera")).args(args).output().unwrap()
}

#[test]
fn triggers_lists_the_catalogue_with_plans() {
    let out = String::from_utf8(avisera(&["triggers"]).stdout).unwrap();
    assert_eq!(out.lines().count(), 14);
    assert!(
        out.lines().next().unwrap().contains("transport_order_received") && out.contains("Plus, Premium, Enterprise")
    );
    let customs = out.lines().find(|l| l.contains("customs")).unwrap();
    assert!(
        customs.starts_with("13") && customs.ends_with("Premium, Enterprise"),
        "{customs}"
    );
}

#[test]
fn mapping_shows_the_operators_lines_over_the_defaults_and_names_a_bad_line() {
    let dir = std::env::temp_dir().join(format!("avisera-mapping-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let table = dir.join("ours.tsv");
    std::fs::write(&table, "# our carrier\nSIGNED_FOR  delivered  yes  delivered  signed by the receiver\nDELAYED  -  no  -  we tell them ourselves\n").unwrap();
    let config = dir.join("avisera.toml");
    std::fs::write(&config, format!("mapping_file = {:?}\n", table.display().to_string())).unwrap();
    let out = avisera(&["--config", config.to_str().unwrap(), "mapping"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |code: &str| {
        text.lines()
            .find(|l| l.starts_with(code))
            .unwrap_or_else(|| panic!("{code} missing:\n{text}"))
            .to_string()
    };
    assert!(line("SIGNED_FOR ").contains("delivered"));
    assert!(
        line("DELAYED ").contains(" - "),
        "the operator's line replaces the default: {}",
        line("DELAYED ")
    );
    assert!(line("EN_ROUTE ").contains("in_transit"), "defaults stay");

    std::fs::write(
        &table,
        "SIGNED_FOR  delivered  yes  delivered\nBROKEN  teleported  no  -\n",
    )
    .unwrap();
    let out = avisera(&["--config", config.to_str().unwrap(), "mapping"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 2") && err.contains("teleported"), "{err}");
}
