//! Unit tests of Connect canonical requests and OAuth 1.0a signing.

use super::*;

fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
    q.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// (method, path, decoded query, canonical request)
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn canonical_requests_follow_connects_rules() {
    // One rule a line.
    let cases: &[Case<'_>] = &[
        ("GET", "/rest/api/2/issue/DEMO-1", &[], "GET&/rest/api/2/issue/DEMO-1&"),
        ("get", "/rest/api/2/myself", &[], "GET&/rest/api/2/myself&"),
        ("GET", "", &[], "GET&/&"),
        ("GET", "/", &[], "GET&/&"),
        ("POST", "/rest/featureflags/0.1/bulk/", &[], "POST&/rest/featureflags/0.1/bulk&"),
        ("GET", "/a", &[("b", "2"), ("a", "1")], "GET&/a&a=1&b=2"),
        ("GET", "/a", &[("b", "2"), ("a", "1"), ("b", "1")], "GET&/a&a=1&b=1,2"),
        ("GET", "/a", &[("empty", ""), ("x", "1")], "GET&/a&empty=&x=1"),
        ("GET", "/a", &[("q", "hello world")], "GET&/a&q=hello%20world"),
        (
            "GET",
            "/a",
            &[("star", "*"), ("tilde", "~"), ("plus", "+")],
            "GET&/a&plus=%2B&star=%2A&tilde=~",
        ),
        ("GET", "/a&b", &[], "GET&/a%26b&"),
        ("GET", "/a", &[("jwt", "xyz"), ("k", "v")], "GET&/a&k=v"),
        ("GET", "/a", &[("jql", "project = \"A,B\"")], "GET&/a&jql=project%20%3D%20%22A%2CB%22"),
        ("GET", "/a", &[("é", "ü")], "GET&/a&%C3%A9=%C3%BC"),
        // Sorted by encoded name: `%` (0x25) sorts before letters.
        ("GET", "/a", &[("b", "1"), ("A b", "2")], "GET&/a&A%20b=2&b=1"),
    ];
    for (method, path, query, want) in cases {
        assert_eq!(
            canonical_request(method, path, &pairs(query)),
            *want,
            "{method} {path} {query:?}"
        );
    }
}

/// (where it is published, method, path relative to the base URL, decoded query, canonical
/// request, qsh)
type Published<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)], &'a str, &'a str);

/// Atlassian's own examples. Sources:
/// - QSH: developer.atlassian.com "Query string hash" (Connect), its example tables.
/// - JWT: developer.atlassian.com "Understanding JWT for Connect apps" (the QSH recipe, its
///   `/path/to/service` example, and an incoming request whose token Jira itself issued with
///   qsh `8063ff4c…`).
/// - ajwt: atlassian-jwt (Java), `HttpRequestCanonicalizerTest`.
/// - rule: a rule those documents state in words, on a request of ours.
/// - captured: a token Jira itself issued, with the request it came with.
///
/// Every qsh was computed outside Rust: `printf '%s' "<canonical>" | sha256sum`.
const PUBLISHED: &[Published<'_>] = &[
    (
        "QSH",
        "GET",
        "/",
        &[("param", "foo")],
        "GET&/&param=foo",
        "557b49d80f3f963f6bec47b74d9832d8d601d6ed0979476bdb35bae4abafb0a4",
    ),
    (
        "QSH",
        "POST",
        "/user",
        &[],
        "POST&/user&",
        "18f9496a296abb418647d87857700529a1f4b2d18b4c1cfa77bbebdeeda6f068",
    ),
    (
        "QSH: upper-case method",
        "Get",
        "/",
        &[("param", "foo")],
        "GET&/&param=foo",
        "557b49d80f3f963f6bec47b74d9832d8d601d6ed0979476bdb35bae4abafb0a4",
    ),
    (
        "QSH: request to the base URL itself",
        "get",
        "",
        &[],
        "GET&/&",
        "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239",
    ),
    (
        "QSH: base URL .../jira-connector, request .../jira-connector/issue",
        "GET",
        "/issue",
        &[],
        "GET&/issue&",
        "db34b56314d800b6adfd4baa192fd1f0779ab2e4b17b3b42849f424ecf54c31e",
    ),
    (
        "JWT: repeated parameters, sorted and joined with `,`",
        "GET",
        "/path/to/service",
        &[
            ("zee_last", "param"),
            ("repeated", "parameter 1"),
            ("first", "param"),
            ("repeated", "parameter 2"),
        ],
        "GET&/path/to/service&first=param&repeated=parameter%201,parameter%202&zee_last=param",
        "e52bb281606c3bd9ca16cfe96fe2df78f5d9ffa126f06befd750dfa10fa1a897",
    ),
    (
        // `?lic=none&tz=Australia%2FSydney&cp=%2Fjira&user_key=&loc=en-US&user_id=&jwt=…
        // &xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_c=channel-servlet-hello-world&xdm_p=1`, decoded;
        // the qsh is the one in the token Jira sent with it.
        "JWT: valueless parameters, `/` and `:` escaped, jwt left out",
        "GET",
        "/hello-world",
        &[
            ("lic", "none"),
            ("tz", "Australia/Sydney"),
            ("cp", "/jira"),
            ("user_key", ""),
            ("loc", "en-US"),
            ("user_id", ""),
            (
                "jwt",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzODY4OTkxMzEsImlzcyI6ImppcmE6MTU0ODk1OTUiLCJxc2giOiI4MDYzZmY0Y2ExZTQxZGY3YmM5MGM4YWI2ZDBmNjIwN2Q0OTFjZjZkYWQ3YzY2ZWE3OTdiNDYxNGI3MTkyMmU5IiwiaWF0IjoxMzg2ODk4OTUxfQ.uKqU9dTB6gKwG6jQCuXYAiMNdfNRw98Hw_IWuA5MaMo",
            ),
            ("xdm_e", "http://storm:2990"),
            ("xdm_c", "channel-servlet-hello-world"),
            ("xdm_p", "1"),
        ],
        "GET&/hello-world&cp=%2Fjira&lic=none&loc=en-US&tz=Australia%2FSydney&user_id=&user_key=&xdm_c=channel-servlet-hello-world&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_p=1",
        "8063ff4ca1e41df7bc90c8ab6d0f6207d491cf6dad7c66ea797b4614b71922e9",
    ),
    (
        "JWT: `http://localhost:2990/jira/some/path/?param=value`, trailing slash dropped",
        "GET",
        "/some/path/",
        &[("param", "value")],
        "GET&/some/path&param=value",
        "f6c7b1b5672206eb10bd77c145d5f83f33796e955f04d6b44007a9d762d74277",
    ),
    (
        "JWT: the Java sample",
        "GET",
        "/rest/atlassian-connect/latest/license",
        &[],
        "GET&/rest/atlassian-connect/latest/license&",
        "e648e4eb6f6b80fa27c4d6c3fa02bc6ed5685b35be152578c38e00339897ae13",
    ),
    (
        "ajwt",
        "GET",
        "/and/more",
        &[("foo", "bah")],
        "GET&/and/more&foo=bah",
        "0b8bef00fa51c9a349ec2b6e454ea69ef3ee41552ac44af55df4034c5c2d2401",
    ),
    (
        "ajwt",
        "PUT",
        "/simple",
        &[("foo", "bah")],
        "PUT&/simple&foo=bah",
        "7c59463ad1ccdf63a70dc491243a5d165392b2f1161487d9a0eecfe8fdd70340",
    ),
    (
        "ajwt: repeated",
        "POST",
        "/simple",
        &[("foo", "humbug"), ("foo", "bah")],
        "POST&/simple&foo=bah,humbug",
        "cbe89111625072eaa2379efbcb03f8334799fdc966a6cada50b8e99bf0d86d2b",
    ),
    (
        // The values `.1 .2 :1 :2` sorted as decoded text; sorting the encoded `%3A1` would put
        // it before `.1` (FIXED: tether sorted after encoding, so its qsh disagreed with Jira's).
        "ajwt: repeated values sorted before percent-encoding (`ids=.1,.2,%3A1,%3A2`)",
        "GET",
        "/path",
        &[("ids", ":2"), ("ids", ".1"), ("ids", ":1"), ("ids", ".2")],
        "GET&/path&ids=.1,.2,%3A1,%3A2",
        "313722615ccc8af5c552aacb35b1f6cc6449ea707cefbb25b3a9089c9b2ec485",
    ),
    (
        "ajwt: no parameters",
        "GET",
        "/simple",
        &[],
        "GET&/simple&",
        "8fdc3d41a301972425b8a572f91c6a4cdccb23e536e688d1afed2bb4159dcd12",
    ),
    (
        "ajwt: many, trailing slash",
        "GET",
        "/and/more/",
        &[
            ("foo", "humbug"),
            ("foo", "bah"),
            ("first", "param1"),
            ("last", "param 2"),
            ("last", "param 1"),
        ],
        "GET&/and/more&first=param1&foo=bah,humbug&last=param%201,param%202",
        "6758a853e993a67cdac36e52132e5c8993c3212df34949d9e2e05a7b728ebc02",
    ),
    (
        "ajwt: space",
        "GET",
        "/some/path",
        &[("foo", "bah bah")],
        "GET&/some/path&foo=bah%20bah",
        "5824d970a72960ec454ceeac10479a8a4b0e32299a41714a8cb2a5919839f0e4",
    ),
    (
        "ajwt: a decoded `+`",
        "GET",
        "/some/path",
        &[("foo", "bah+bah")],
        "GET&/some/path&foo=bah%2Bbah",
        "97e092399b38623d2d0c295110ab1ce66b0cb77deef7b744d936af38b88db82e",
    ),
    (
        "ajwt: `&` in the path",
        "GET",
        "/some/path&a=b",
        &[],
        "GET&/some/path%26a=b&",
        "7f6526f56dff3f7fba2c3a493a0aa49c96b85f32c060019f11d37b65a1423443",
    ),
    (
        "ajwt: `&` in the path, and a query",
        "GET",
        "/some/path&a=b",
        &[("x", "y")],
        "GET&/some/path%26a=b&x=y",
        "33773f1290a00ce5d1cf61a6d4ba8f2c4cea6b9af83efa923ca1364582efb660",
    ),
    (
        // A token Jira Server issued (iss `jira:7a3b4c77-…`, iat 1389874386) for
        // `/addon/?lic=none&tz=Europe%2FMoscow&cp=%2Fjira&user_key=admin&loc=en-US&user_id=admin
        // &jwt=…&xdm_e=http%3A%2F%2Flocalhost%3A2990&xdm_c=channel-servlet-click-me&xdm_p=1`.
        "captured: the qsh of a token Jira issued",
        "GET",
        "/addon/",
        &[
            ("lic", "none"),
            ("tz", "Europe/Moscow"),
            ("cp", "/jira"),
            ("user_key", "admin"),
            ("loc", "en-US"),
            ("user_id", "admin"),
            ("jwt", "x.y.z"),
            ("xdm_e", "http://localhost:2990"),
            ("xdm_c", "channel-servlet-click-me"),
            ("xdm_p", "1"),
        ],
        "GET&/addon&cp=%2Fjira&lic=none&loc=en-US&tz=Europe%2FMoscow&user_id=admin&user_key=admin&xdm_c=channel-servlet-click-me&xdm_e=http%3A%2F%2Flocalhost%3A2990&xdm_p=1",
        "3a6ff1b66f60eb275d0e4cb6be4261d5d3b0216b91c58dc6524509227ef346de",
    ),
    (
        "rule: `*` is %2A, `~` stays",
        "GET",
        "/search",
        &[("q", "a*b~c")],
        "GET&/search&q=a%2Ab~c",
        "9bf5c98dc9fc77b050606db689f5d9aa92e82e0ca2813285a2c4aa075089cf26",
    ),
    (
        "rule: sorted by code point, A B a b",
        "GET",
        "/sort",
        &[("b", "4"), ("a", "3"), ("B", "2"), ("A", "1")],
        "GET&/sort&A=1&B=2&a=3&b=4",
        "3311bc60fa3162f9eebe51c8d183fdce9432029a249184009dc1cfaba0cc5fbb",
    ),
    (
        "rule: only a jwt parameter",
        "delete",
        "/flags",
        &[("jwt", "x.y.z")],
        "DELETE&/flags&",
        "5d439325069acb8aad21375cfa3082c782f5d53b030026a3fe5bbdf8fadc4b38",
    ),
];

#[test]
fn qsh_matches_atlassians_published_cases() {
    for (source, method, path, query, canonical, qsh) in PUBLISHED {
        let q = pairs(query);
        assert_eq!(canonical_request(method, path, &q), *canonical, "{source}");
        assert_eq!(query_string_hash(method, path, &q), *qsh, "{source}");
    }
    // The recipe's own check of the hash: SHA-256 of "foo".
    assert_eq!(
        hex(&Sha256::digest(b"foo")),
        "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
    );
}

#[test]
fn ampersands_in_the_path_do_not_collide_with_the_query() {
    // atlassian-jwt's regression: `/project&a=b?x=y` and `/project?a=b&x=y` once hashed alike.
    let in_path = query_string_hash("GET", "/rest/api/2/project&a=b", &pairs(&[("x", "y")]));
    let in_query =
        query_string_hash("GET", "/rest/api/2/project", &pairs(&[("a", "b"), ("x", "y")]));
    assert_ne!(in_path, in_query);
}

#[test]
fn query_string_hash_is_hex_sha256_of_the_canonical_request() {
    // Pinned with an independent sha256 of the canonical text
    // `GET&/rest/api/2/issue/DEMO-1&expand=changelog&fields=status,summary`.
    let q = pairs(&[("fields", "status"), ("expand", "changelog"), ("fields", "summary")]);
    assert_eq!(
        query_string_hash("GET", "/rest/api/2/issue/DEMO-1", &q),
        "dcc0866fdb0982e203031f73a6394dd4b58496db98274b1dd5c27dc35a24550e"
    );
}

#[test]
fn connect_jwt_carries_the_claims_and_verifies() {
    let secret = SecretString::from("s3cret".to_owned());
    let jwt = connect_jwt("tether-app", &secret, "GET", "/rest/api/3/myself", &[], 1_700_000_000);
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["iss"], "tether-app");
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["exp"], 1_700_000_180);
    assert_eq!(claims["qsh"], query_string_hash("GET", "/rest/api/3/myself", &[]));
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
}

#[test]
fn oauth1_base_string_matches_rfc_5849() {
    // RFC 5849 §3.4.1.1: the query `b5=%3D%253D&a3=a&c%40=&a2=r%20b`, the body `c2&a3=2+q`.
    let params = pairs(&[
        ("b5", "=%3D"),
        ("a3", "a"),
        ("c@", ""),
        ("a2", "r b"),
        ("c2", ""),
        ("a3", "2 q"),
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
        ("oauth_signature", "left out"),
    ]);
    assert_eq!(
        oauth1_base_string("POST", "http://example.com/request", &params),
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    );
}

/// A throwaway 1024-bit key, made for tests only; the integration tests sign with it too.
const TEST_KEY: &str = include_str!("../../tests/fixtures/oauth1-test-key.pem");

#[test]
fn oauth1_header_is_signed_with_rsa_sha1() {
    let req = OAuth1Request {
        method: "GET",
        base_url: "http://127.0.0.1:8080/rest/api/2/myself",
        query: &[],
        timestamp_s: 1_700_000_000,
        nonce: "abc",
    };
    let header = oauth1_header(
        "tether",
        &SecretString::from(TEST_KEY.to_owned()),
        &SecretString::from("tok".to_owned()),
        &req,
    )
    .unwrap();
    // The signature was made independently: `printf '%s' "$BASE" | openssl dgst -sha1 -sign`.
    let expected_sig = "Csv8cXlgOKtl/fj6w92N/ld418TPSXDPyKN5pgHosVJ4F5MQOV4xT87MX3YNIh0Ee0UZDi18NseGENIGKa82GGp/AG15nyQpGQot8O/8JCkGiKjJ8O+30tdyIble6+SLJumhFt2WGNMb6IGCLSCuLRaN9D+LnCo1ry2jHomIq9Q=";
    assert_eq!(
        header,
        format!(
            "OAuth oauth_consumer_key=\"tether\", oauth_nonce=\"abc\", \
             oauth_signature_method=\"RSA-SHA1\", oauth_timestamp=\"1700000000\", \
             oauth_token=\"tok\", oauth_version=\"1.0\", oauth_signature=\"{}\"",
            percent_encode(expected_sig)
        )
    );
    assert!(rsa_sha1_sign("not a key", b"x").unwrap_err().contains("not an RSA key"));
}

/// A generator that counts what it hands out (and hands out a fixed stream).
struct CountingRng(rand::rngs::StdRng, usize);

impl rand::RngCore for CountingRng {
    fn next_u32(&mut self) -> u32 {
        self.1 += 4;
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.1 += 8;
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.1 += dest.len();
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand::CryptoRng for CountingRng {}

#[test]
fn rsa_signing_without_blinding() {
    // RUSTSEC-2023-0071: the OAuth 1.0a signature was made with `sign`, which does not
    // blind; blinding draws randomness, and the signature stays the same.
    use rand::SeedableRng;
    let mut rng = CountingRng(rand::rngs::StdRng::seed_from_u64(7), 0);
    let blinded = rsa_sha1_sign_with(&mut rng, TEST_KEY, b"base string").unwrap();
    assert!(rng.1 > 0, "the private-key operation drew no randomness: not blinded");
    assert_eq!(blinded, rsa_sha1_sign(TEST_KEY, b"base string").unwrap());
}

#[test]
fn secrets_are_redacted_in_debug() {
    let shown = format!("{:?}", Auth::api_token("me@example.com", "very-secret-token"));
    assert!(shown.contains("me@example.com") && !shown.contains("very-secret-token"), "{shown}");
}
