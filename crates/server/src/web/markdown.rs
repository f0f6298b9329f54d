//! Rule text (remediation, description, rationale, …) is Markdown. It is rendered with
//! pulldown-cmark, and nothing in it can become markup of its own: raw HTML (blocks and
//! inline) is turned into text, links keep only http(s), mailto and in-page targets, and
//! images become links. Code blocks get a copy button (the script copies the block's text).

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// Safe HTML for a piece of Markdown.
pub(crate) fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut in_image = false;
    let events = Parser::new_ext(markdown, options).flat_map(move |event| -> Vec<Event<'_>> {
        match event {
            // Markup written into the text stays text.
            Event::Html(raw) | Event::InlineHtml(raw) => vec![Event::Text(raw)],
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => vec![Event::Start(Tag::Link {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            })],
            // An image would load from anywhere (and the CSP would block it): a link instead.
            Event::Start(Tag::Image {
                dest_url, title, id, ..
            }) => {
                in_image = true;
                vec![Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url: safe_url(dest_url),
                    title,
                    id,
                })]
            }
            Event::End(TagEnd::Image) if in_image => {
                in_image = false;
                vec![Event::End(TagEnd::Link)]
            }
            Event::Start(Tag::CodeBlock(kind)) => vec![
                Event::Html(CowStr::Borrowed(
                    r#"<div class="code"><button type="button" class="btn small copy" data-copy>Copy</button>"#,
                )),
                Event::Start(Tag::CodeBlock(kind)),
            ],
            Event::End(TagEnd::CodeBlock) => vec![
                Event::End(TagEnd::CodeBlock),
                Event::Html(CowStr::Borrowed("</div>")),
            ],
            other => vec![other],
        }
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Keeps http(s), mailto, in-page and relative links; anything else (`javascript:`,
/// `data:`, …) points nowhere.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme_end = lower.find([':', '/', '?', '#']);
    let has_scheme = matches!(scheme_end, Some(i) if lower.as_bytes()[i] == b':');
    if !has_scheme
        || lower.starts_with("https:")
        || lower.starts_with("http:")
        || lower.starts_with("mailto:")
    {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_html_with_code_blocks_and_inline_code() {
        let html = render("Run `kubectl` then:\n\n```sh\nkubectl label ns web a=b\n```\n");
        assert!(html.contains("<code>kubectl</code>"), "{html}");
        assert!(
            html.contains(r#"<div class="code"><button type="button" class="btn small copy" data-copy>Copy</button>"#)
                && html.contains(r#"<pre><code class="language-sh">kubectl label ns web a=b"#),
            "{html}"
        );
        assert!(!html.contains("```"));
    }

    #[test]
    fn raw_html_in_markdown_is_shown_as_text() {
        let html = render("<script>alert(1)</script>\n\nand <img src=x onerror=alert(2)> inline");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(2)&gt;"),
            "{html}"
        );
    }

    #[test]
    fn only_safe_link_targets_survive() {
        let html = render(
            "[a](javascript:alert(1)) [b](https://kubernetes.io/x) [c](JaVaScRiPt:x) ![i](https://e.com/i.png) [d](/rules)",
        );
        assert!(!html.to_ascii_lowercase().contains("javascript"), "{html}");
        assert!(html.contains(r#"href="https://kubernetes.io/x""#), "{html}");
        assert!(html.contains(r##"href="#""##), "{html}");
        assert!(html.contains(r#"href="/rules""#), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }
}
