//! The sandbox's canonical requests and query string hashes, on Connect's rules and on every
//! case Atlassian published (the same cases tether-jira pins, written here as the request URIs a
//! client sends: the sandbox shares no code with tether's client).

use super::*;

fn method(m: &str) -> Method {
    Method::from_bytes(m.to_uppercase().as_bytes()).unwrap()
}

#[test]
fn canonical_requests() {
    // (method, request URI, canonical request): one rule a line.
    let cases: &[(&str, &str, &str)] = &[
        ("GET", "/rest/api/2/issue/DEMO-1", "GET&/rest/api/2/issue/DEMO-1&"),
        ("get", "/", "GET&/&"),
        ("POST", "/rest/featureflags/0.1/bulk/?jwt=x", "POST&/rest/featureflags/0.1/bulk&"),
        ("GET", "/a?b=2&a=1&b=1", "GET&/a&a=1&b=1,2"),
        ("GET", "/a?q=hello%20world&star=*&t=~", "GET&/a&q=hello%20world&star=%2A&t=~"),
        ("GET", "/a&b", "GET&/a%26b&"),
        ("GET", "/a?empty=&x=1", "GET&/a&empty=&x=1"),
        ("GET", "/a?%C3%A9=%C3%BC", "GET&/a&%C3%A9=%C3%BC"),
        // Sorted by encoded name: `%` (0x25) sorts before letters.
        ("GET", "/a?b=1&A%20b=2", "GET&/a&A%20b=2&b=1"),
    ];
    for (m, uri, want) in cases {
        assert_eq!(canonical_request(&method(m), &uri.parse().unwrap()), *want, "{uri}");
    }
}

/// (where it is published, method, request URI, canonical request, qsh). Sources, as in
/// tether-jira's `auth/tests.rs`: QSH = developer.atlassian.com "Query string hash"; JWT =
/// "Understanding JWT for Connect apps"; ajwt = atlassian-jwt's `HttpRequestCanonicalizerTest`;
/// rule = a rule those state in words; captured = a token Jira itself issued.
const PUBLISHED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "QSH",
        "GET",
        "/?param=foo",
        "GET&/&param=foo",
        "557b49d80f3f963f6bec47b74d9832d8d601d6ed0979476bdb35bae4abafb0a4",
    ),
    (
        "QSH",
        "POST",
        "/user",
        "POST&/user&",
        "18f9496a296abb418647d87857700529a1f4b2d18b4c1cfa77bbebdeeda6f068",
    ),
    (
        "QSH: upper-case method",
        "Get",
        "/?param=foo",
        "GET&/&param=foo",
        "557b49d80f3f963f6bec47b74d9832d8d601d6ed0979476bdb35bae4abafb0a4",
    ),
    (
        "QSH: request to the base URL itself",
        "get",
        "/",
        "GET&/&",
        "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239",
    ),
    (
        "QSH: base URL .../jira-connector, request .../jira-connector/issue",
        "GET",
        "/issue",
        "GET&/issue&",
        "db34b56314d800b6adfd4baa192fd1f0779ab2e4b17b3b42849f424ecf54c31e",
    ),
    (
        "JWT: repeated parameters, sorted and joined with `,`",
        "GET",
        "/path/to/service?zee_last=param&repeated=parameter%201&first=param&repeated=parameter%202",
        "GET&/path/to/service&first=param&repeated=parameter%201,parameter%202&zee_last=param",
        "e52bb281606c3bd9ca16cfe96fe2df78f5d9ffa126f06befd750dfa10fa1a897",
    ),
    (
        "JWT: valueless parameters, `/` and `:` escaped, jwt left out",
        "GET",
        "/hello-world?lic=none&tz=Australia%2FSydney&cp=%2Fjira&user_key=&loc=en-US&user_id=&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzODY4OTkxMzEsImlzcyI6ImppcmE6MTU0ODk1OTUiLCJxc2giOiI4MDYzZmY0Y2ExZTQxZGY3YmM5MGM4YWI2ZDBmNjIwN2Q0OTFjZjZkYWQ3YzY2ZWE3OTdiNDYxNGI3MTkyMmU5IiwiaWF0IjoxMzg2ODk4OTUxfQ.uKqU9dTB6gKwG6jQCuXYAiMNdfNRw98Hw_IWuA5MaMo&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_c=channel-servlet-hello-world&xdm_p=1",
        "GET&/hello-world&cp=%2Fjira&lic=none&loc=en-US&tz=Australia%2FSydney&user_id=&user_key=&xdm_c=channel-servlet-hello-world&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_p=1",
        "8063ff4ca1e41df7bc90c8ab6d0f6207d491cf6dad7c66ea797b4614b71922e9",
    ),
    (
        "JWT: `http://localhost:2990/jira/some/path/?param=value`, trailing slash dropped",
        "GET",
        "/some/path/?param=value",
        "GET&/some/path&param=value",
        "f6c7b1b5672206eb10bd77c145d5f83f33796e955f04d6b44007a9d762d74277",
    ),
    (
        "JWT: the Java sample",
        "GET",
        "/rest/atlassian-connect/latest/license",
        "GET&/rest/atlassian-connect/latest/license&",
        "e648e4eb6f6b80fa27c4d6c3fa02bc6ed5685b35be152578c38e00339897ae13",
    ),
    (
        "ajwt",
        "GET",
        "/and/more?foo=bah",
        "GET&/and/more&foo=bah",
        "0b8bef00fa51c9a349ec2b6e454ea69ef3ee41552ac44af55df4034c5c2d2401",
    ),
    (
        "ajwt",
        "PUT",
        "/simple?foo=bah",
        "PUT&/simple&foo=bah",
        "7c59463ad1ccdf63a70dc491243a5d165392b2f1161487d9a0eecfe8fdd70340",
    ),
    (
        "ajwt: repeated",
        "POST",
        "/simple?foo=humbug&foo=bah",
        "POST&/simple&foo=bah,humbug",
        "cbe89111625072eaa2379efbcb03f8334799fdc966a6cada50b8e99bf0d86d2b",
    ),
    (
        "ajwt: repeated values sorted before percent-encoding (`ids=.1,.2,%3A1,%3A2`)",
        "GET",
        "/path?ids=%3A2&ids=.1&ids=%3A1&ids=.2",
        "GET&/path&ids=.1,.2,%3A1,%3A2",
        "313722615ccc8af5c552aacb35b1f6cc6449ea707cefbb25b3a9089c9b2ec485",
    ),
    (
        "ajwt: no parameters",
        "GET",
        "/simple",
        "GET&/simple&",
        "8fdc3d41a301972425b8a572f91c6a4cdccb23e536e688d1afed2bb4159dcd12",
    ),
    (
        "ajwt: many, trailing slash",
        "GET",
        "/and/more/?foo=humbug&foo=bah&first=param1&last=param%202&last=param%201",
        "GET&/and/more&first=param1&foo=bah,humbug&last=param%201,param%202",
        "6758a853e993a67cdac36e52132e5c8993c3212df34949d9e2e05a7b728ebc02",
    ),
    (
        "ajwt: space",
        "GET",
        "/some/path?foo=bah%20bah",
        "GET&/some/path&foo=bah%20bah",
        "5824d970a72960ec454ceeac10479a8a4b0e32299a41714a8cb2a5919839f0e4",
    ),
    (
        "ajwt: a decoded `+`",
        "GET",
        "/some/path?foo=bah%2Bbah",
        "GET&/some/path&foo=bah%2Bbah",
        "97e092399b38623d2d0c295110ab1ce66b0cb77deef7b744d936af38b88db82e",
    ),
    (
        "ajwt: `&` in the path",
        "GET",
        "/some/path&a=b",
        "GET&/some/path%26a=b&",
        "7f6526f56dff3f7fba2c3a493a0aa49c96b85f32c060019f11d37b65a1423443",
    ),
    (
        "ajwt: `&` in the path, and a query",
        "GET",
        "/some/path&a=b?x=y",
        "GET&/some/path%26a=b&x=y",
        "33773f1290a00ce5d1cf61a6d4ba8f2c4cea6b9af83efa923ca1364582efb660",
    ),
    (
        "rule: `*` is %2A, `~` stays",
        "GET",
        "/search?q=a%2Ab~c",
        "GET&/search&q=a%2Ab~c",
        "9bf5c98dc9fc77b050606db689f5d9aa92e82e0ca2813285a2c4aa075089cf26",
    ),
    (
        "rule: sorted by code point, A B a b",
        "GET",
        "/sort?b=4&a=3&B=2&A=1",
        "GET&/sort&A=1&B=2&a=3&b=4",
        "3311bc60fa3162f9eebe51c8d183fdce9432029a249184009dc1cfaba0cc5fbb",
    ),
    (
        "rule: only a jwt parameter",
        "delete",
        "/flags?jwt=x.y.z",
        "DELETE&/flags&",
        "5d439325069acb8aad21375cfa3082c782f5d53b030026a3fe5bbdf8fadc4b38",
    ),
    (
        "captured: the qsh of a token Jira Server issued for `/addon/?lic=none&tz=Europe%2FMoscow&…&jwt=…`",
        "GET",
        "/addon/?lic=none&tz=Europe%2FMoscow&cp=%2Fjira&user_key=admin&loc=en-US&user_id=admin&jwt=x.y.z&xdm_e=http%3A%2F%2Flocalhost%3A2990&xdm_c=channel-servlet-click-me&xdm_p=1",
        "GET&/addon&cp=%2Fjira&lic=none&loc=en-US&tz=Europe%2FMoscow&user_id=admin&user_key=admin&xdm_c=channel-servlet-click-me&xdm_e=http%3A%2F%2Flocalhost%3A2990&xdm_p=1",
        "3a6ff1b66f60eb275d0e4cb6be4261d5d3b0216b91c58dc6524509227ef346de",
    ),
];

#[test]
fn qsh_matches_atlassians_published_cases() {
    for (source, m, uri, canonical, qsh) in PUBLISHED {
        let uri = uri.parse().unwrap();
        assert_eq!(canonical_request(&method(m), &uri), *canonical, "{source}");
        assert_eq!(query_string_hash(&method(m), &uri), *qsh, "{source}");
    }
}
