//! Malformed and hostile SDP: each input yields one precise typed error with its line number,
//! never a panic.
#![allow(clippy::needless_pass_by_value)] // table helpers read better by value

use msrp_proto::uri::UriError;
use msrp_sdp::{MsrpMedia, SdpError, SdpErrorKind, SessionDescription};

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 a.example.com\r\ns=-\r\nt=0 0\r\n";
const MEDIA: &str = "m=message 7777 TCP/MSRP *\r\nc=IN IP4 a.example.com\r\n";
const ACCEPT: &str = "a=accept-types:text/plain\r\n";
const PATH: &str = "a=path:msrp://a.example.com:7777/s1;tcp\r\n";

/// Parses `text` (whole or fragment) and reads its first media section as MSRP.
fn run(text: &str) -> Result<MsrpMedia, SdpError> {
    let sdp = SessionDescription::parse_any(text)?;
    sdp.validate()?;
    MsrpMedia::from_sdp(&sdp, 0)
}

fn expect(text: &str, line: usize, kind: SdpErrorKind) {
    let e = run(text).expect_err(text);
    assert_eq!((e.line, &e.kind), (line, &kind), "{text:?}");
}

fn msrp(extra: &str) -> String {
    format!("{HEAD}{MEDIA}{extra}")
}

#[test]
fn r8866_structure_errors() {
    expect("", 1, SdpErrorKind::Empty);
    expect("v=0\r\n\r\no=x\r\n", 2, SdpErrorKind::EmptyLine);
    expect("v=0\r\nhello\r\n", 2, SdpErrorKind::MalformedLine);
    expect(
        "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nt=0 0\r\nx=1\r\n",
        5,
        SdpErrorKind::UnknownLineType('x'),
    );
    expect(
        "v=0\r\no=- 1 1 IN IP4 a\rs=-\r\n",
        2,
        SdpErrorKind::ForbiddenCharacter,
    );
    expect(
        "v=0\r\no=- 1 1 IN IP4 a\r\ns=\0\r\n",
        3,
        SdpErrorKind::ForbiddenCharacter,
    );
    expect("v=1\r\n", 1, SdpErrorKind::UnsupportedVersion);
    expect("v=0\r\ns=-\r\n", 2, SdpErrorKind::MissingSessionLine('o'));
    expect(
        "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n",
        2,
        SdpErrorKind::MalformedOrigin,
    );
    expect(
        "v=0\r\no=- 1 1 IN IP4 a\r\nt=0 0\r\n",
        3,
        SdpErrorKind::MissingSessionLine('s'),
    );
    expect(
        "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nm=message 1 TCP/MSRP *\r\n",
        3,
        SdpErrorKind::MissingSessionLine('t'),
    );
    let e = SessionDescription::parse_bytes(b"v=0\r\ns=\xff\r\n").unwrap_err();
    assert_eq!((e.line, e.kind), (2, SdpErrorKind::InvalidUtf8));
}

#[test]
fn r8866_002_media_and_connection_lines() {
    expect(
        &format!("{HEAD}m=message 99999 TCP/MSRP *\r\n"),
        5,
        SdpErrorKind::MalformedMediaLine,
    );
    expect(
        &format!("{HEAD}m=message -1 TCP/MSRP *\r\n"),
        5,
        SdpErrorKind::MalformedMediaLine,
    );
    expect(
        &format!("{HEAD}m=message 7777 TCP/MSRP\r\n"),
        5,
        SdpErrorKind::MalformedMediaLine,
    );
    // E-25, the RFC 8873 answer's defect.
    expect(
        &format!("{HEAD}m=message 7777 TCP/MSRP *\r\nc=IN IP6 IP6 2001:db8::1\r\n"),
        6,
        SdpErrorKind::MalformedConnection,
    );
    expect(
        &format!("{HEAD}m=message 7777 TCP/MSRP *\r\nc=IN IP4 300.1.1.1\r\n"),
        6,
        SdpErrorKind::MalformedConnection,
    );
    expect(
        &format!("{HEAD}m=message 7777 TCP/MSRP *\r\nc=IN IP4 224.2.1.1/127\r\n"),
        6,
        SdpErrorKind::MalformedConnection,
    );
    expect(
        &format!("{HEAD}m=message 7777 TCP/MSRP *\r\n{ACCEPT}{PATH}"),
        5,
        SdpErrorKind::MissingConnection,
    );
    expect(
        &format!("{HEAD}m=message 7777 TCP/MSRP 0\r\nc=IN IP4 a\r\n"),
        5,
        SdpErrorKind::NotMsrpMedia,
    );
}

#[test]
fn r4975_170_r4975_184_mandatory_attributes() {
    expect(&msrp(ACCEPT), 5, SdpErrorKind::MissingPath);
    expect(&msrp(PATH), 5, SdpErrorKind::MissingAcceptTypes);
    expect(
        &msrp(&format!("{PATH}a=accept-types:\r\n")),
        8,
        SdpErrorKind::InvalidFormatList,
    );
    expect(
        &msrp(&format!("{PATH}a=accept-types:text\r\n")),
        8,
        SdpErrorKind::InvalidFormatList,
    );
    expect(
        &msrp(&format!("{ACCEPT}a=path:\r\n")),
        8,
        SdpErrorKind::InvalidPath(UriError::Empty),
    );
    expect(
        &msrp(&format!("{ACCEPT}a=path:http://a.example.com:1/s;tcp\r\n")),
        8,
        SdpErrorKind::InvalidPath(UriError::BadScheme),
    );
}

/// R4975-176, R4976-047: URIs in SDP carry explicit ports; R4976-048: so does an
/// `msrps` URI with an IPv4 or IPv6 host.
#[test]
fn r4975_176_r4976_047_r4976_048_path_uri_without_port() {
    expect(
        &msrp(&format!("{ACCEPT}a=path:msrp://a.example.com/s1;tcp\r\n")),
        8,
        SdpErrorKind::PathUriWithoutPort,
    );
    for host in ["192.0.2.7", "[2001:db8::7]"] {
        expect(
            &msrp(&format!("{ACCEPT}a=path:msrps://{host}/s1;tcp\r\n")),
            8,
            SdpErrorKind::InvalidPath(UriError::IpWithoutPort),
        );
    }
}

#[test]
fn hostile_attribute_values() {
    expect(
        &msrp(&format!("{ACCEPT}{PATH}a=max-size:-5\r\n")),
        9,
        SdpErrorKind::InvalidMaxSize,
    );
    expect(
        &msrp(&format!(
            "{ACCEPT}{PATH}a=max-size:99999999999999999999999\r\n"
        )),
        9,
        SdpErrorKind::InvalidMaxSize,
    );
    expect(
        &msrp(&format!("{ACCEPT}{PATH}a=setup:sideways\r\n")),
        9,
        SdpErrorKind::InvalidSetup,
    );
    expect(
        &msrp(&format!(
            "{ACCEPT}{PATH}a=setup:active\r\na=setup:passive\r\n"
        )),
        10,
        SdpErrorKind::DuplicateAttribute("setup"),
    );
    expect(
        &msrp(&format!("{ACCEPT}{PATH}a=fingerprint:sha-256 4A:A\r\n")),
        9,
        SdpErrorKind::InvalidFingerprint,
    );
    expect(
        &msrp(&format!("{ACCEPT}{PATH}a=fingerprint:sha-256\r\n")),
        9,
        SdpErrorKind::InvalidFingerprint,
    );
    expect(
        &msrp(&format!("{ACCEPT}{PATH}a=sendonly\r\na=recvonly\r\n")),
        10,
        SdpErrorKind::DuplicateDirection,
    );
    expect(
        &msrp(&format!("{ACCEPT}{ACCEPT}{PATH}")),
        8,
        SdpErrorKind::DuplicateAttribute("accept-types"),
    );
}

#[test]
fn r5547_hostile_file_attributes() {
    let base = format!("{ACCEPT}{PATH}");
    expect(
        &msrp(&format!("{base}a=file-selector:name:\"unterminated\r\n")),
        9,
        SdpErrorKind::InvalidFileSelector,
    );
    expect(
        &msrp(&format!("{base}a=file-selector:name:\"a%zzb\"\r\n")),
        9,
        SdpErrorKind::InvalidFileSelector,
    );
    expect(
        &msrp(&format!("{base}a=file-selector:size:12x\r\n")),
        9,
        SdpErrorKind::InvalidFileSelector,
    );
    expect(
        &msrp(&format!("{base}a=file-selector:colour:blue\r\n")),
        9,
        SdpErrorKind::InvalidFileSelector,
    );
    expect(
        &msrp(&format!("{base}a=file-selector:hash:sha-1:ZZ\r\n")),
        9,
        SdpErrorKind::InvalidFileSelector,
    );
    expect(
        &msrp(&format!("{base}a=file-transfer-id:has space\r\n")),
        9,
        SdpErrorKind::InvalidFileTransferId,
    );
    expect(
        &msrp(&format!("{base}a=file-disposition\r\n")),
        9,
        SdpErrorKind::InvalidFileDisposition,
    );
    expect(
        &msrp(&format!(
            "{base}a=file-date:creation:\"Mon, 15 May 2006 15:01:31 GMT\"\r\n"
        )),
        9,
        SdpErrorKind::InvalidFileDate,
    );
    expect(
        &msrp(&format!(
            "{base}a=file-date:read:\"Mon, 15 May 2006 15:01:31 +0300\" read:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n"
        )),
        9,
        SdpErrorKind::InvalidFileDate,
    );
    expect(
        &msrp(&format!("{base}a=file-icon:http://x\r\n")),
        9,
        SdpErrorKind::InvalidFileIcon,
    );
    expect(
        &msrp(&format!("{base}a=file-range:0-10\r\n")),
        9,
        SdpErrorKind::InvalidFileRange,
    );
    expect(
        &msrp(&format!("{base}a=file-range:10-5\r\n")),
        9,
        SdpErrorKind::InvalidFileRange,
    );
}

#[test]
fn accepted_leniencies() {
    // P-30: a value on msrp-cema is ignored; a=connection (R6135-013) and unknown attributes too.
    let m = run(&msrp(&format!(
        "{ACCEPT}{PATH}a=msrp-cema:x\r\na=connection:new\r\na=x-foo:bar\r\n"
    )))
    .unwrap();
    assert!(m.cema);
    // Capability-only file-selector (R5547-001).
    let m = run(&msrp(&format!("{ACCEPT}{PATH}a=file-selector\r\n"))).unwrap();
    assert!(m.file.selector.unwrap().is_empty());
    // Session-level fingerprint applies to the media (R8122-003).
    let text = format!("{HEAD}a=fingerprint:SHA-256 AB:CD\r\n{MEDIA}{ACCEPT}{PATH}").replacen(
        "t=0 0\r\n",
        "t=0 0\r\n",
        1,
    );
    assert_eq!(run(&text).unwrap().fingerprints.len(), 1);
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "m=",
        "m= ",
        "c=",
        "a=",
        "a=:",
        "a=path",
        "v=0\n",
        "v=0\r",
        "\n",
        "\r\n",
        "=",
        "mm=message 1 T *",
        "m=message 1/ TCP/MSRP *",
        "m=message 1/x TCP/MSRP *",
        "m=message 1 / *",
        "c=IN IP6 :::",
        "c=IN IP4 a..b",
        "a=file-selector:name:\"",
        "a=file-range:-",
        "a=fingerprint: :",
        "a=accept-types:a/b;c",
        "a=accept-types:a/b;c=\"",
        "a=path:msrp://[::1:1/x;tcp",
    ];
    for s in samples {
        let _ = run(s);
        let _ = run(&format!("{HEAD}{MEDIA}{s}\r\n"));
    }
}
