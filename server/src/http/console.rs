//! The built-in web console's static files, served under `/console/` on the gateway's port.
//!
//! The front end is plain hand-written HTML, CSS and ES-module JavaScript committed under
//! `server/console/` (no build step, no CDN) and embedded in the binary with `include_bytes!`.
//! The files hold no data, so they are served without credentials; the pages talk to the
//! server only through the public APIs, every request SigV4-signed in the browser
//! (`docs/console.md`).
//!
//! Every answer carries a strict `Content-Security-Policy` (only this origin's scripts,
//! styles and connections; no inline script), `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: no-referrer` and `Cache-Control: no-cache` (a browser revalidates, so a
//! new binary's files are picked up). `GET /console` redirects to `/console/`; with the
//! console off (`--console false`) every `/console` path answers 404.

use shale_aws::Reply;

/// The path the console is served under.
pub const PREFIX: &str = "/console/";

/// The policy every console answer carries: the page may load scripts, styles, images and
/// make requests only to its own origin, and runs no inline script.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Its path under [`PREFIX`] (`js/api.js`).
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "application/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($path:literal, $ct:expr) => {
        Asset {
            path: $path,
            content_type: $ct,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/", $path)),
        }
    };
}

/// Every file of the console.
pub const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("favicon.svg", SVG),
    asset!("css/console.css", CSS),
    asset!("js/main.js", JS),
    asset!("js/sigv4.js", JS),
    asset!("js/api.js", JS),
    asset!("js/session.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/format.js", JS),
    asset!("js/pages/signin.js", JS),
    asset!("js/pages/tables.js", JS),
    asset!("js/pages/create_table.js", JS),
    asset!("js/pages/table.js", JS),
    asset!("js/tabs.js", JS),
    asset!("js/pages/items.js", JS),
    asset!("js/pages/explore.js", JS),
    asset!("js/pages/indexes.js", JS),
    asset!("js/pages/streams.js", JS),
    asset!("js/pages/ttl.js", JS),
    asset!("js/pages/backups.js", JS),
    asset!("js/pages/metrics.js", JS),
    asset!("js/pages/access.js", JS),
    asset!("js/pages/access_list.js", JS),
    asset!("js/backup_list.js", JS),
    asset!("js/chart.js", JS),
    asset!("js/condition_builder.js", JS),
    asset!("js/ddbjson.js", JS),
    asset!("js/export.js", JS),
    asset!("js/item_editor.js", JS),
    asset!("js/pages/access_common.js", JS),
    asset!("js/pages/access_delete.js", JS),
    asset!("js/pages/access_editor.js", JS),
    asset!("js/pages/access_groups.js", JS),
    asset!("js/pages/access_keys.js", JS),
    asset!("js/pages/access_perms.js", JS),
    asset!("js/pages/access_policies.js", JS),
    asset!("js/pages/access_roles.js", JS),
    asset!("js/pages/access_templates.js", JS),
    asset!("js/pages/access_user.js", JS),
    asset!("js/pages/access_users.js", JS),
    asset!("js/pitr.js", JS),
    asset!("js/policy.js", JS),
    asset!("js/restore.js", JS),
    asset!("js/results.js", JS),
    asset!("js/stream_reader.js", JS),
    asset!("js/trace_view.js", JS),
    asset!("js/xml.js", JS),
    asset!("js/confirm.js", JS),
    asset!("js/pager.js", JS),
    asset!("js/schema_fields.js", JS),
];

/// The file at `path` under [`PREFIX`] (`""` is `index.html`).
pub fn asset(path: &str) -> Option<&'static Asset> {
    let path = if path.is_empty() { "index.html" } else { path };
    ASSETS.iter().find(|a| a.path == path)
}

/// The answer to a request for `path` when it is the console's (`/console` or under
/// `/console/`), `None` otherwise. `on`: whether the console is served at all.
pub fn answer(method: &hyper::Method, path: &str, on: bool) -> Option<Reply> {
    let rest = match path {
        "/console" => None,
        _ => Some(path.strip_prefix(PREFIX)?),
    };
    if !on {
        return Some(plain(
            404,
            "Not Found: the web console is off on this server (--console false)\n",
        ));
    }
    if method != hyper::Method::GET && method != hyper::Method::HEAD {
        return Some(
            plain(405, "Method Not Allowed: the console's files are read with GET\n")
                .with_header("allow", "GET, HEAD"),
        );
    }
    let Some(rest) = rest else {
        return Some(secured(plain(301, "Moved to /console/\n")).with_header("location", PREFIX));
    };
    Some(match asset(rest) {
        Some(a) => secured(Reply::new(200, a.content_type, a.body.to_vec())),
        None => secured(plain(404, "Not Found: no such file in the web console\n")),
    })
}

fn plain(status: u16, text: &str) -> Reply {
    Reply::new(status, "text/plain; charset=utf-8", text.as_bytes().to_vec())
}

/// With the headers every console answer carries.
fn secured(reply: Reply) -> Reply {
    reply
        .with_header("content-security-policy", CONTENT_SECURITY_POLICY)
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer")
        .with_header("x-frame-options", "DENY")
        .with_header("cache-control", "no-cache")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Method;

    fn header<'r>(r: &'r Reply, name: &str) -> Option<&'r str> {
        r.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn serves_the_files_under_the_prefix_only() {
        let index = answer(&Method::GET, "/console/", true).unwrap();
        assert_eq!(index.status, 200);
        assert_eq!(index.content_type, HTML);
        assert!(String::from_utf8_lossy(&index.body).contains("<!doctype html>"));
        assert_eq!(header(&index, "content-security-policy"), Some(CONTENT_SECURITY_POLICY));
        assert_eq!(header(&index, "x-content-type-options"), Some("nosniff"));
        let js = answer(&Method::GET, "/console/js/sigv4.js", true).unwrap();
        assert_eq!((js.status, js.content_type), (200, JS));
        let moved = answer(&Method::GET, "/console", true).unwrap();
        assert_eq!((moved.status, header(&moved, "location")), (301, Some(PREFIX)));
        assert_eq!(answer(&Method::GET, "/console/nope.js", true).unwrap().status, 404);
        assert_eq!(answer(&Method::GET, "/console/../Cargo.toml", true).unwrap().status, 404);
        assert_eq!(answer(&Method::POST, "/console/", true).unwrap().status, 405);
        assert_eq!(answer(&Method::GET, "/console/", false).unwrap().status, 404);
        assert_eq!(answer(&Method::GET, "/console", false).unwrap().status, 404);
        assert!(answer(&Method::GET, "/", true).is_none());
        assert!(answer(&Method::GET, "/consoles", true).is_none());
        assert!(answer(&Method::POST, "/metrics", true).is_none());
    }

    #[test]
    fn every_file_is_non_empty_and_html_has_no_inline_script() {
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{}", a.path);
            if a.content_type == HTML {
                let text = String::from_utf8_lossy(a.body);
                assert!(!text.contains("<script>"), "{}: inline script", a.path);
                assert!(!text.contains("<style"), "{}: inline style", a.path);
                assert!(!text.contains(" style="), "{}: inline style", a.path);
                // No inline event handler (` onclick=`, ` onload=`, …).
                let handler = text.split(" on").skip(1).any(|rest| {
                    let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
                    !name.is_empty() && rest[name.len()..].starts_with('=')
                });
                assert!(!handler, "{}: inline event handler", a.path);
            }
        }
    }
}
