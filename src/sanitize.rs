//! Turns untrusted markup from other hospitals (FHIR narratives `text.div`,
//! CDA section text, HTML attachments) into either HTML the webview may
//! insert, or plain text. Pure: strings in, strings out.
//!
//! Invariants:
//! - [`sanitize_html`] and the CDA narrative mapping ([`read_cda`]) make HTML only from
//!   [`ALLOWED_TAGS`]; the only attributes are numeric `colspan`/`rowspan` on
//!   table cells. No URL, style, class, id or event handler survives, so the
//!   output is safe for `innerHTML` / Svelte `{@html}` without help from the
//!   Content-Security-Policy (which stays as a second line of defence).
//! - [`html_to_text`] and [`plain_text`] return text for the UI to escape; it
//!   may legitimately contain `<` (as in "HbA1c < 7%"). Never insert it as HTML.
//! - Nothing here returns its input unprocessed: malformed input yields the
//!   text it carries, escaped, or nothing.
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::Builder;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::Attribute;

use crate::view::DocBlock;

/// Elements a clinical narrative keeps: structure and emphasis, nothing that
/// loads, links, runs or styles.
pub(crate) const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "div",
    "span",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "sub",
    "sup",
    "small",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "colgroup",
    "col",
    "pre",
    "code",
    "blockquote",
    "hr",
];

/// Elements removed together with everything inside them. Some hold code
/// (script, style); the others hold markup source that the HTML parser keeps
/// as text (title, textarea, xmp, iframe, noscript…), which would otherwise
/// reach [`html_to_text`] as tag-shaped text. svg and math are dropped whole
/// because their parsing rules are where mutation XSS lives.
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "title",
    "template",
    "noscript",
    "textarea",
    "xmp",
    "plaintext",
    "iframe",
    "noembed",
    "noframes",
    "object",
    "applet",
    "svg",
    "math",
];

/// Elements that end a line in the text rendering; kept (without attributes)
/// only on the way to [`html_to_text`], never in HTML output.
const TEXT_BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "nav",
    "aside",
    "address",
    "figure",
    "figcaption",
    "details",
    "summary",
    "center",
    "listing",
];

static HTML: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let cell_spans = HashSet::from(["colspan", "rowspan"]);
    let mut builder = Builder::empty();
    builder
        .tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
        // `Builder::empty` only empties the tag list: every other default
        // (lang/title everywhere, href on a, url schemes, rel) is reset here.
        .generic_attributes(HashSet::new())
        .tag_attributes(HashMap::from([
            ("td", cell_spans.clone()),
            ("th", cell_spans),
        ]))
        .url_schemes(HashSet::new())
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(|_, _, value| is_span(value).then(|| value.into()));
    builder
});

static TEXT: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(TEXT_BLOCKS.iter().copied().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(HashSet::new())
        .tag_attributes(HashMap::new())
        .url_schemes(HashSet::new())
        .link_rel(None)
        .strip_comments(true);
    builder
});

/// A `colspan`/`rowspan` value browsers read as a plain number. Anything else
/// (`2;`, `2 onclick`, `1e3`) is dropped rather than repaired.
fn is_span(value: &str) -> bool {
    (1..=4).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
}

/// Sanitises untrusted HTML (a FHIR narrative, an HTML attachment) down to
/// [`ALLOWED_TAGS`] for insertion with `innerHTML`.
///
/// Disallowed elements disappear but keep their text (a link becomes its
/// words); [`DROPPED_WITH_CONTENT`] elements disappear with their content.
/// Attributes are dropped except numeric `colspan`/`rowspan` on `td`/`th`.
/// Headings are kept as they are: the UI scopes their size to the narrative.
pub(crate) fn sanitize_html(input: &str) -> String {
    HTML.clean(input).to_string()
}

/// The readable plain text of an HTML narrative: no markup, entities decoded,
/// one line per block (paragraph, list item, table row, heading, `<br>`),
/// table cells separated by `" | "`, at most one blank line in a row, and
/// no control characters but `\n` and `\t`. A `<` that would open a tag gets
/// a space after it (`< script>`), so the text holds no markup even by
/// accident. Render it as text.
pub(crate) fn html_to_text(input: &str) -> String {
    // Parsing and cleaning with ammonia first means the tokenizer below sees
    // a canonical document without raw-text elements, so it reads the input
    // exactly as a browser's tree builder would.
    let canonical = TEXT.clean(&without_unwanted_chars(input)).to_string();
    let sink = tokenize(Sink::<TextWriter>::default(), &canonical);
    sink.0.into_inner().finish()
}

/// Cleans a string that is meant to be plain text (a display name, a note):
/// control characters other than `\n` and `\t` and bidi overrides are removed,
/// line ends become `\n`, and if markup slipped in, only its text is kept
/// (as [`html_to_text`]). Render the result as text.
pub(crate) fn plain_text(input: &str) -> String {
    if is_plain(input) {
        return input.to_owned();
    }
    // Removing control characters first, so that `<\0script>` cannot turn
    // into a tag after the check for markup.
    let cleaned = without_unwanted_chars(input);
    if looks_like_markup(&cleaned) {
        html_to_text(&cleaned)
    } else {
        cleaned.trim().to_owned()
    }
}

fn tokenize<S: TokenSink<Handle = ()>>(sink: S, input: &str) -> S {
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(input));
    // Our sinks never ask to pause for a script, so feeding always completes.
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    tokenizer.sink
}

/// Characters that have no place in displayed text: C0/C1 controls other than
/// line ends and tabs, and the bidi embeddings/overrides/isolates that can
/// make "5 mg" read differently from what it says.
/// Whether [`plain_text`] would return `input` unchanged: the common case
/// (a lab name, a unit), told without allocating.
pub(crate) fn is_plain(input: &str) -> bool {
    input.len() == input.trim().len()
        && !input.chars().any(|c| is_unwanted(c) || c == '\r')
        && !looks_like_markup(input)
}

fn is_unwanted(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub(crate) fn without_unwanted_chars(input: &str) -> String {
    input
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| !is_unwanted(c))
        .collect()
}

/// Whether an HTML parser would see a tag, comment or declaration here.
fn looks_like_markup(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')))
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn cdata_as_text(xml: &str) -> String {
    const OPEN: &str = "<![CDATA[";
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let body = &rest[start + OPEN.len()..];
        // An unterminated section runs to the end, as an XML parser would read it.
        let end = body.find("]]>").unwrap_or(body.len());
        escape_text(&body[..end], &mut out);
        rest = body.get(end + 3..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The blocks of untrusted HTML, sanitised first, in reading order:
/// headings, paragraphs, list items and table rows, each as plain text with
/// its whitespace collapsed and no tag-shaped text left. The UI renders
/// them as text.
pub(crate) fn html_blocks(html: &str) -> Vec<DocBlock> {
    let sink = tokenize(Sink::<BlockWriter>::default(), &sanitize_html(html));
    let mut w = sink.0.into_inner();
    w.flush();
    while !w.rows.is_empty() {
        w.end_row();
    }
    w.blocks
}

#[derive(Default)]
struct BlockWriter {
    blocks: Vec<DocBlock>,
    /// Text of the block outside any table row.
    text: String,
    heading: bool,
    item: bool,
    /// The rows being read, innermost last (tables nest).
    rows: Vec<RowText>,
    in_pre: usize,
}

#[derive(Default)]
struct RowText {
    cells: Vec<String>,
    /// The cell being read.
    text: String,
}

impl TokenWriter for BlockWriter {
    fn tag(&mut self, tag: &Tag) {
        let start = tag.kind == TagKind::StartTag;
        let name = &*tag.name;
        if name == "tr" {
            if start {
                if self.rows.is_empty() {
                    self.flush();
                }
                // A nested table's row is a block of its own, before its
                // outer row; the outer cell's text waits in its row.
                self.rows.push(RowText::default());
            } else {
                self.end_row();
            }
            return;
        }
        if let Some(row) = self.rows.last_mut() {
            // Inside a row only cells matter: a heading or list in a cell
            // stays in the cell, a space apart.
            match name {
                "td" | "th" if !start => row.end_cell(),
                "td" | "th" => row.text.clear(),
                _ => space(&mut row.text),
            }
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                self.heading = start;
            }
            "li" => {
                self.flush();
                self.item = start;
            }
            "pre" => {
                self.flush();
                self.in_pre = if start {
                    self.in_pre + 1
                } else {
                    self.in_pre.saturating_sub(1)
                };
            }
            "b" | "strong" | "i" | "em" | "u" | "sub" | "sup" | "small" | "span" | "a" | "abbr"
            | "cite" | "code" | "q" | "s" | "del" | "ins" | "mark" => {}
            _ => self.flush(),
        }
    }

    fn text(&mut self, text: &str) {
        let in_row = !self.rows.is_empty();
        for c in text.chars() {
            let c = if c == '\u{A0}' { ' ' } else { c };
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{C}') {
                if self.in_pre > 0 && c == '\n' && !in_row {
                    self.flush();
                } else {
                    space(self.buffer());
                }
            } else if !is_unwanted(c) {
                self.buffer().push(c);
            }
        }
    }
}

impl BlockWriter {
    fn end_row(&mut self) {
        if let Some(mut row) = self.rows.pop() {
            if !row.text.trim().is_empty() {
                row.end_cell();
            }
            if row.cells.iter().any(|c| !c.is_empty()) {
                self.blocks.push(DocBlock::Row { cells: row.cells });
            }
        }
    }

    /// Where text goes now: the innermost row's cell, else the block.
    fn buffer(&mut self) -> &mut String {
        match self.rows.last_mut() {
            Some(row) => &mut row.text,
            None => &mut self.text,
        }
    }

    fn flush(&mut self) {
        let text = defuse_tags(std::mem::take(&mut self.text).trim());
        if text.is_empty() {
            return;
        }
        self.blocks.push(if self.heading {
            DocBlock::Heading { text }
        } else if self.item {
            DocBlock::Item { text }
        } else {
            DocBlock::Paragraph { text }
        });
    }
}

impl RowText {
    fn end_cell(&mut self) {
        self.cells
            .push(defuse_tags(std::mem::take(&mut self.text).trim()));
    }
}

/// One space between words, none at the start.
fn space(text: &mut String) {
    if !text.is_empty() && !text.ends_with(' ') {
        text.push(' ');
    }
}

/// What a CDA R2 document (WS/T 500 shared documents) shows: its body's
/// sections as blocks (each title a heading, each narrative block's text),
/// whether its body is not XML (a scanned or PDF document: nothing to
/// show), and its header's confidentiality when that is R or V. (The
/// tokenizer gives element names in lower case.) Narrative blocks map
/// paragraph → p, content → b/i/u/em by styleCode, list → ol/ul, item →
/// li, tables, br, sub and sup to their HTML namesakes before they are
/// read into blocks. The header
/// itself (patient, author, custodian) is never read into blocks. One pass
/// of the forgiving tokenizer: malformed XML yields what it can.
pub(crate) struct CdaDocument {
    pub(crate) blocks: Vec<DocBlock>,
    pub(crate) non_xml_body: bool,
    pub(crate) confidentiality: Option<&'static str>,
}

pub(crate) fn read_cda(xml: &str) -> CdaDocument {
    let sink = tokenize(Sink::<CdaBodyReader>::default(), &cdata_as_text(xml));
    let mut r = sink.0.into_inner();
    if let Some(narrative) = r.narrative.take() {
        r.blocks.extend(html_blocks(&narrative.finish()));
    }
    CdaDocument {
        blocks: r.blocks,
        non_xml_body: r.non_xml_body,
        confidentiality: r.confidentiality,
    }
}

#[derive(Default)]
struct CdaBodyReader {
    blocks: Vec<DocBlock>,
    /// Open elements (local names) outside a narrative block.
    path: Vec<String>,
    /// A section title being read.
    title: Option<String>,
    /// A section's narrative block being read.
    narrative: Option<CdaWriter>,
    non_xml_body: bool,
    confidentiality: Option<&'static str>,
}

impl TokenWriter for CdaBodyReader {
    fn tag(&mut self, tag: &Tag) {
        self.read_tag(tag);
    }

    fn text(&mut self, text: &str) {
        if let Some(w) = self.narrative.as_mut() {
            if w.dropping == 0 {
                escape_text(text, &mut w.html);
            }
        } else if let Some(title) = self.title.as_mut() {
            title.push_str(text);
        }
    }
}

impl CdaBodyReader {
    fn in_section_of_body(&self) -> bool {
        self.path.last().is_some_and(|p| p == "section")
            && self.path.iter().any(|p| p == "structuredbody")
    }

    fn read_tag(&mut self, tag: &Tag) {
        let name = local_name(&tag.name);
        let start = tag.kind == TagKind::StartTag;
        if self.narrative.is_some() {
            if !start && name == "text" {
                if let Some(w) = self.narrative.take() {
                    self.blocks.extend(html_blocks(&w.finish()));
                }
                self.pop(name);
            } else if let Some(w) = self.narrative.as_mut() {
                if start {
                    w.start(tag);
                } else {
                    w.end(name);
                }
            }
            return;
        }
        if !start {
            if name == "title" {
                if let Some(title) = self.title.take() {
                    let text = html_to_text(&escape(&title)).replace('\n', " ");
                    let text = text.trim();
                    if !text.is_empty() {
                        self.blocks.push(DocBlock::Heading {
                            text: text.to_owned(),
                        });
                    }
                }
            }
            self.pop(name);
            return;
        }
        match name {
            "title" if self.in_section_of_body() && !tag.self_closing => {
                self.title = Some(String::new());
            }
            "text" if self.in_section_of_body() && !tag.self_closing => {
                self.narrative = Some(CdaWriter::default());
            }
            "nonxmlbody" => self.non_xml_body = true,
            "confidentialitycode" if self.path.len() == 1 => {
                let code = tag
                    .attrs
                    .iter()
                    .find(|a| local_name(&a.name.local) == "code")
                    .map(|a| a.value.trim());
                self.confidentiality = match code {
                    Some("R") => Some("R"),
                    Some("V") => Some("V"),
                    _ => self.confidentiality,
                };
            }
            _ => {}
        }
        if !tag.self_closing {
            self.path.push(name.to_owned());
        }
    }

    /// Closes `name` and anything left open inside it.
    fn pop(&mut self, name: &str) {
        if let Some(at) = self.path.iter().rposition(|p| p == name) {
            self.path.truncate(at);
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_text(text, &mut out);
    out
}

/// Blocks as minimal HTML (every character escaped), the form a document
/// keeps between the masking stage and the chart builder.
pub(crate) fn blocks_to_html(blocks: &[DocBlock]) -> String {
    let mut html = String::from("<div>");
    let wrap = |open: &str, text: &str, close: &str, html: &mut String| {
        html.push_str(open);
        escape_text(text, html);
        html.push_str(close);
    };
    for block in blocks {
        match block {
            DocBlock::Heading { text } => wrap("<h3>", text, "</h3>", &mut html),
            DocBlock::Paragraph { text } => wrap("<p>", text, "</p>", &mut html),
            DocBlock::Item { text } => wrap("<ul><li>", text, "</li></ul>", &mut html),
            DocBlock::Row { cells } => {
                html.push_str("<table><tr>");
                for cell in cells {
                    wrap("<td>", cell, "</td>", &mut html);
                }
                html.push_str("</tr></table>");
            }
        }
    }
    html.push_str("</div>");
    html
}

/// What reads a token stream: tags and text, in order.
trait TokenWriter {
    fn tag(&mut self, tag: &Tag);
    fn text(&mut self, text: &str);
}

/// Feeds the tokenizer's tags and text to a [`TokenWriter`].
#[derive(Default)]
struct Sink<W>(RefCell<W>);

impl<W: TokenWriter> TokenSink for Sink<W> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut w = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => w.tag(&tag),
            Token::CharacterTokens(text) => w.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Writes text the way a browser lays it out: whitespace collapsed outside
/// `<pre>`, line breaks owed by blocks written only before the next text.
#[derive(Default)]
struct TextWriter {
    out: String,
    breaks_owed: usize,
    space_owed: bool,
    in_pre: usize,
    /// Cells seen in the current row, one entry per open table.
    cells: Vec<usize>,
}

impl TokenWriter for TextWriter {
    fn tag(&mut self, tag: &Tag) {
        let start = tag.kind == TagKind::StartTag;
        match &*tag.name {
            "br" => {
                if start {
                    self.breaks_owed += 1;
                    self.space_owed = false;
                }
            }
            "table" => {
                if start {
                    self.cells.push(0);
                } else {
                    self.cells.pop();
                }
                self.block();
            }
            "tr" => {
                if let Some(n) = self.cells.last_mut() {
                    *n = 0;
                }
                self.block();
            }
            "td" | "th" => {
                if !start {
                    return;
                }
                let seen = self.cells.last().copied().unwrap_or(0);
                if seen > 0 {
                    // Cells of a row share its line, even if one held a paragraph.
                    self.breaks_owed = 0;
                    self.space_owed = false;
                    self.out.push_str(" | ");
                }
                if let Some(n) = self.cells.last_mut() {
                    *n += 1;
                }
            }
            "pre" => {
                if start {
                    self.in_pre += 1;
                } else {
                    self.in_pre = self.in_pre.saturating_sub(1);
                }
                self.block();
            }
            _ => self.block(),
        }
    }

    fn text(&mut self, text: &str) {
        for c in text.chars() {
            let c = if c == '\u{A0}' { ' ' } else { c };
            let collapsible = matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{C}');
            if collapsible && self.in_pre == 0 {
                self.space_owed = true;
            } else if !is_unwanted(c) {
                self.pay_owed();
                self.out.push(c);
            }
        }
    }
}

impl TextWriter {
    fn block(&mut self) {
        self.breaks_owed = self.breaks_owed.max(1);
        self.space_owed = false;
    }

    fn pay_owed(&mut self) {
        if !self.out.is_empty() {
            if self.breaks_owed > 0 {
                self.out.extend(std::iter::repeat_n('\n', self.breaks_owed));
            } else if self.space_owed && !self.out.ends_with([' ', '\n']) {
                self.out.push(' ');
            }
        }
        self.breaks_owed = 0;
        self.space_owed = false;
    }

    fn finish(self) -> String {
        let mut lines: Vec<&str> = Vec::new();
        for line in self.out.split('\n').map(str::trim_end) {
            let blank = line.trim().is_empty();
            if !(blank && lines.last().is_some_and(|l| l.is_empty())) {
                lines.push(if blank { "" } else { line });
            }
        }
        defuse_tags(lines.join("\n").trim())
    }
}

/// Puts a space after any `<` that would open a tag, comment or declaration
/// (`&lt;script&gt;` decoded, or `<` + `/script>` joined once the script
/// between them was dropped), so that text stays inert even if someone
/// mistakenly inserts it as HTML. "HbA1c < 7%" is untouched.
pub(crate) fn defuse_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if out.ends_with('<') && (c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// An open CDA element and the HTML elements it opened (empty when it maps to
/// nothing or sits inside a dropped element).
struct Frame {
    name: String,
    html: Vec<HtmlTag>,
    drops: bool,
}

struct HtmlTag {
    name: &'static str,
    attrs: String,
}

impl HtmlTag {
    fn plain(name: &'static str) -> Self {
        HtmlTag {
            name,
            attrs: String::new(),
        }
    }
}

enum Mapping {
    Html(Vec<HtmlTag>),
    Drop,
}

#[derive(Default)]
struct CdaWriter {
    html: String,
    open: Vec<Frame>,
    /// How many open elements drop their content.
    dropping: usize,
}

impl CdaWriter {
    fn start(&mut self, tag: &Tag) {
        let name = local_name(&tag.name);
        let mapping = self.map(name, &tag.attrs);
        let frame = match mapping {
            Mapping::Drop => Frame {
                name: name.to_owned(),
                html: Vec::new(),
                drops: true,
            },
            Mapping::Html(_) if self.dropping > 0 => Frame {
                name: name.to_owned(),
                html: Vec::new(),
                drops: false,
            },
            Mapping::Html(html) => {
                for t in &html {
                    self.html.push('<');
                    self.html.push_str(t.name);
                    self.html.push_str(&t.attrs);
                    self.html.push('>');
                }
                Frame {
                    name: name.to_owned(),
                    html,
                    drops: false,
                }
            }
        };
        if tag.self_closing {
            self.close(frame);
        } else {
            self.dropping += usize::from(frame.drops);
            self.open.push(frame);
        }
    }

    /// Closes `name` and anything left open inside it; an end tag that
    /// matches nothing open is ignored.
    fn end(&mut self, name: &str) {
        let Some(at) = self.open.iter().rposition(|f| f.name == name) else {
            return;
        };
        for frame in self.open.split_off(at).into_iter().rev() {
            self.dropping -= usize::from(frame.drops);
            self.close(frame);
        }
    }

    fn close(&mut self, frame: Frame) {
        for t in frame.html.iter().rev() {
            if !matches!(t.name, "br" | "col") {
                self.html.push_str("</");
                self.html.push_str(t.name);
                self.html.push('>');
            }
        }
    }

    fn finish(mut self) -> String {
        for frame in std::mem::take(&mut self.open).into_iter().rev() {
            self.close(frame);
        }
        self.html
    }

    fn in_table(&self) -> bool {
        let innermost = self.open.iter().rev().find_map(|f| f.html.last());
        innermost.is_some_and(|t| t.name == "table")
    }

    fn map(&self, name: &str, attrs: &[Attribute]) -> Mapping {
        let attr = |wanted: &str| {
            attrs
                .iter()
                .find(|a| local_name(&a.name.local) == wanted)
                .map(|a| a.value.trim())
        };
        let one = |tag| Mapping::Html(vec![HtmlTag::plain(tag)]);
        // The tokenizer lowercases names, so `linkHtml` arrives as `linkhtml`.
        match name {
            "paragraph" => one("p"),
            "content" => Mapping::Html(
                attr("stylecode")
                    .unwrap_or("")
                    .split_ascii_whitespace()
                    .filter_map(|code| match code.to_ascii_lowercase().as_str() {
                        "bold" => Some(HtmlTag::plain("b")),
                        "italics" => Some(HtmlTag::plain("i")),
                        "underline" => Some(HtmlTag::plain("u")),
                        "emphasis" => Some(HtmlTag::plain("em")),
                        _ => None,
                    })
                    .collect(),
            ),
            "list" if attr("listtype").is_some_and(|t| t.eq_ignore_ascii_case("ordered")) => {
                one("ol")
            }
            "list" => one("ul"),
            "item" => one("li"),
            "table" => one("table"),
            "thead" => one("thead"),
            "tbody" => one("tbody"),
            "tfoot" => one("tfoot"),
            "tr" => one("tr"),
            "colgroup" => one("colgroup"),
            "col" => one("col"),
            "caption" if self.in_table() => one("caption"),
            "caption" => one("b"),
            "th" | "td" => {
                let mut spans = String::new();
                for span in ["colspan", "rowspan"] {
                    if let Some(value) = attr(span).filter(|v| is_span(v)) {
                        spans.push_str(&format!(" {span}=\"{value}\""));
                    }
                }
                Mapping::Html(vec![HtmlTag {
                    name: if name == "th" { "th" } else { "td" },
                    attrs: spans,
                }])
            }
            "br" => one("br"),
            "sub" => one("sub"),
            "sup" => one("sup"),
            "footnote" => one("small"),
            "rendermultimedia" | "footnoteref" => Mapping::Drop,
            // linkHtml, the <text> root and anything unknown: text only.
            _ => Mapping::Html(Vec::new()),
        }
    }
}

/// `hl7:paragraph` → `paragraph`.
fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::borrow::Cow;
    use std::cell::{Ref, RefCell};
    use std::path::PathBuf;

    use html5ever::tendril::TendrilSink;
    use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
    use html5ever::{local_name, ns, parse_fragment, QualName};
    use regex::Regex;

    use super::*;

    #[derive(Default)]
    struct CdaSink(RefCell<CdaWriter>);

    impl TokenSink for CdaSink {
        type Handle = ();

        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            let mut w = self.0.borrow_mut();
            match token {
                Token::TagToken(tag) if tag.kind == TagKind::StartTag => w.start(&tag),
                Token::TagToken(tag) => w.end(local_name(&tag.name)),
                Token::CharacterTokens(text) if w.dropping == 0 => escape_text(&text, &mut w.html),
                _ => {}
            }
            TokenSinkResult::Continue
        }
    }

    /// A CDA narrative block (a section's `<text>`) as HTML through the
    /// writer [`read_cda`] uses, sanitised: the mapping on its own.
    ///
    /// paragraph → p, content → its styleCode as b/i/u/em, list → ol/ul by
    /// `listType`, item → li, the table elements, br, sub and sup map to their
    /// HTML namesakes (cells keep numeric colspan/rowspan); footnote → small;
    /// caption → caption in a table, b elsewhere. linkHtml and unknown elements
    /// keep their text only; renderMultiMedia and footnoteRef are dropped.
    /// Namespace prefixes are ignored. Malformed XML never fails: unclosed
    /// elements are closed, stray end tags ignored, and only text, escaped,
    /// survives outside the mapped elements.
    fn cda_text_to_html(xml: &str) -> String {
        // The HTML tokenizer is used as a forgiving XML tokenizer: without a tree
        // builder it has no raw-text elements, so it reads every tag as XML does.
        // It only lacks CDATA sections, which are turned into escaped text first.
        let sink = tokenize(CdaSink::default(), &cdata_as_text(xml));
        sanitize_html(&sink.0.into_inner().finish())
    }

    /// Records every node an HTML tree builder creates while parsing a
    /// fragment, the way the webview's `innerHTML` parses it. Structure is
    /// irrelevant to the check: every node created is one the page would get.
    struct Recorder {
        nodes: RefCell<Vec<(QualName, Vec<Attribute>)>>,
    }

    impl Recorder {
        fn push(&self, name: QualName, attrs: Vec<Attribute>) -> usize {
            let mut nodes = self.nodes.borrow_mut();
            nodes.push((name, attrs));
            nodes.len() - 1
        }

        fn marker(&self, what: &str) -> usize {
            self.push(QualName::new(None, ns!(), what.into()), Vec::new())
        }
    }

    impl TreeSink for Recorder {
        type Handle = usize;
        type Output = Vec<(QualName, Vec<Attribute>)>;
        type ElemName<'a> = Ref<'a, QualName>;

        fn finish(self) -> Self::Output {
            self.nodes.into_inner()
        }
        fn parse_error(&self, _: Cow<'static, str>) {}
        fn get_document(&self) -> usize {
            0
        }
        fn elem_name<'a>(&'a self, target: &'a usize) -> Ref<'a, QualName> {
            Ref::map(self.nodes.borrow(), |n| &n[*target].0)
        }
        fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> usize {
            self.push(name, attrs)
        }
        fn create_comment(&self, _: StrTendril) -> usize {
            self.marker("#comment")
        }
        fn create_pi(&self, _: StrTendril, _: StrTendril) -> usize {
            self.marker("#pi")
        }
        fn append(&self, _: &usize, _: NodeOrText<usize>) {}
        fn append_based_on_parent_node(&self, _: &usize, _: &usize, _: NodeOrText<usize>) {}
        fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {
            self.marker("#doctype");
        }
        fn get_template_contents(&self, _: &usize) -> usize {
            self.marker("#template-contents")
        }
        fn same_node(&self, x: &usize, y: &usize) -> bool {
            x == y
        }
        fn set_quirks_mode(&self, _: QuirksMode) {}
        fn append_before_sibling(&self, _: &usize, _: NodeOrText<usize>) {}
        fn add_attrs_if_missing(&self, target: &usize, attrs: Vec<Attribute>) {
            self.nodes.borrow_mut()[*target].1.extend(attrs);
        }
        fn remove_from_parent(&self, _: &usize) {}
        fn reparent_children(&self, _: &usize, _: &usize) {}
    }

    /// Parses `html` as the webview would insert it into a `<div>` and fails
    /// on any element outside the allow-list or any attribute but a numeric
    /// cell span.
    pub(crate) fn assert_only_allowed_markup(html: &str, payload: &str) {
        let recorder = Recorder {
            nodes: RefCell::new(vec![(
                QualName::new(None, ns!(), "#document".into()),
                Vec::new(),
            )]),
        };
        let context = QualName::new(None, ns!(html), local_name!("div"));
        let nodes =
            parse_fragment(recorder, Default::default(), context, Vec::new(), false).one(html);
        for (name, attrs) in &nodes[1..] {
            // The parser's own root for a fragment; its attributes still count.
            let root = name.ns == ns!(html) && name.local == local_name!("html");
            assert!(
                root || (name.ns == ns!(html) && ALLOWED_TAGS.contains(&&*name.local)),
                "element {name:?} survived in {html:?} (from {payload:?})"
            );
            for a in attrs {
                let cell = matches!(&*name.local, "td" | "th");
                let span = matches!(&*a.name.local, "colspan" | "rowspan");
                assert!(
                    cell && span && a.name.ns == ns!() && is_span(&a.value),
                    "attribute {:?}={:?} on {name:?} survived in {html:?} (from {payload:?})",
                    a.name.local,
                    a.value
                );
            }
        }
        // Text `<` is serialised as `&lt;`, so every `<` left starts a tag:
        // each must be a bare allowed tag or a cell with numeric spans.
        static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>?").unwrap());
        static SAFE_TAG: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r#"^</?([a-z][a-z0-9]*)((?: (?:colspan|rowspan)="[0-9]{1,4}")*)>$"#).unwrap()
        });
        for tag in TAG.find_iter(html).map(|m| m.as_str()) {
            let lower = tag.to_ascii_lowercase();
            for bad in [
                "javascript:",
                "vbscript:",
                "data:",
                "expression(",
                "<svg",
                "<script",
            ] {
                assert!(!lower.contains(bad), "{bad} in {tag:?} (from {payload:?})");
            }
            let caps = SAFE_TAG.captures(tag);
            let caps = caps.unwrap_or_else(|| panic!("unsafe tag {tag:?} (from {payload:?})"));
            assert!(
                ALLOWED_TAGS.contains(&&caps[1]),
                "{tag:?} (from {payload:?})"
            );
            assert!(
                caps[2].is_empty() || matches!(&caps[1], "td" | "th"),
                "{tag:?}"
            );
        }
        let lower = html.to_ascii_lowercase();
        assert!(
            !lower.contains("<svg") && !lower.contains("<script"),
            "{html:?}"
        );
    }

    /// Text must carry nothing an HTML parser would read as markup, even when
    /// the input spelled a tag with character references.
    pub(crate) fn assert_markup_free(text: &str, payload: &str) {
        static TAG_LIKE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[A-Za-z/!?]").unwrap());
        assert!(
            !TAG_LIKE.is_match(text),
            "markup {text:?} survived from {payload:?}"
        );
        assert!(
            !text.chars().any(is_unwanted),
            "control characters in {text:?}"
        );
        assert_eq!(text, text.trim(), "untrimmed text from {payload:?}");
    }

    #[test]
    fn the_markup_check_rejects_unsafe_html() {
        let unsafe_html = [
            "<img src=x onerror=alert(1)>",
            "<p onclick=alert(1)>x</p>",
            "<p title=\"x\">x</p>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<svg></svg>",
            "<math><mi>x</mi></math>",
            "<table><tr><td colspan=\"2x\">x</td></tr></table>",
            "<!-- comment -->",
            "<style>p{}</style>",
        ];
        for html in unsafe_html {
            let caught = std::panic::catch_unwind(|| assert_only_allowed_markup(html, html));
            assert!(caught.is_err(), "{html:?} passed the check");
        }
        let caught = std::panic::catch_unwind(|| assert_markup_free("a </script> b", ""));
        assert!(caught.is_err());
    }

    /// Every output of every function is checked for one untrusted input.
    fn check_untrusted(payload: &str) {
        let wrapped = format!(r#"<div xmlns="http://www.w3.org/1999/xhtml">{payload}</div>"#);
        for input in [payload, &wrapped] {
            let html = sanitize_html(input);
            assert_only_allowed_markup(&html, input);
            assert_eq!(sanitize_html(&html), html, "not idempotent for {input:?}");
        }
        assert_markup_free(&html_to_text(payload), payload);
        assert_markup_free(&plain_text(payload), payload);
        let cda = cda_text_to_html(&format!("<text>{payload}</text>"));
        assert_only_allowed_markup(&cda, payload);
        assert_eq!(sanitize_html(&cda), cda, "not idempotent for {payload:?}");
    }

    pub(crate) fn xss_fixtures() -> Vec<String> {
        let dir = std::env::var_os("CHARTGUARD_FIXTURES")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"))
            .join("xss");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        files
            .iter()
            .flat_map(|p| {
                let bytes = std::fs::read(p).unwrap();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                text.lines().map(str::to_owned).collect::<Vec<_>>()
            })
            .filter(|line| !line.trim().is_empty())
            .collect()
    }

    #[test]
    fn no_fixture_payload_survives_any_output() {
        let payloads = xss_fixtures();
        assert!(
            payloads.len() > 250,
            "only {} payloads read",
            payloads.len()
        );
        for payload in &payloads {
            check_untrusted(payload);
        }
    }

    pub(crate) const FAMILIES: &[(&str, &str)] = &[
        ("script", "<script>alert(1)</script>"),
        ("script", "<ScRiPt>alert(1)</sCrIpT>"),
        ("script", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
        ("script", "<script src=//evil.example/x.js></script>"),
        ("script", "<<script>script>alert(1)<</script>/script>"),
        ("event handler", "<img src=x onerror=alert(1)>"),
        ("event handler", "<body onload=alert(1)>"),
        ("event handler", "<p onmouseover=\"alert(1)\">hover</p>"),
        ("event handler", "<svg onload=alert(1)>"),
        ("event handler", "<details open ontoggle=alert(1)>x</details>"),
        ("event handler", "<td onclick=alert(1) colspan=2>x</td>"),
        ("event handler", "<table><tr><td colspan=\"2 onclick=alert(1)\">x</td></tr></table>"),
        ("url", "<a href=\"javascript:alert(1)\">click</a>"),
        ("url", "<a href=\"vbscript:msgbox(1)\">click</a>"),
        ("url", "<a href=\"&#106;avascript:alert(1)\">click</a>"),
        ("url", "<a href=\"java\tscript:alert(1)\">click</a>"),
        ("url", "<a href=\" &#x6A;&#x61;&#x76;&#x61;script:alert(1)\">x</a>"),
        ("url", "<iframe src=javascript:alert(1)></iframe>"),
        ("svg", "<svg><script>alert(1)</script></svg>"),
        ("svg", "<svg><animate onbegin=alert(1) attributeName=x dur=1s>"),
        ("svg", "<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>X</text></a></svg>"),
        ("svg", "<svg><foreignObject><script>alert(1)</script></foreignObject></svg>"),
        ("style", "<div style=\"background:url(javascript:alert(1))\">x</div>"),
        ("style", "<style>@import 'http://evil.example/x.css';</style>"),
        ("style", "<div style=\"width: expression(alert(1))\">x</div>"),
        ("style", "<p style=\"behavior:url(x.htc)\" class=x id=y>x</p>"),
        ("data url", "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>"),
        ("data url", "<img src=data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+>"),
        ("data url", "<object data=\"data:text/html,<script>alert(1)</script>\"></object>"),
        ("data url", "<embed src=data:text/html,x>"),
        ("entity", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("entity", "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;"),
        ("entity", "&#60;img src=x onerror=alert(1)&#62;"),
        ("mutation", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">"),
        ("mutation", "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">"),
        ("mutation", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
        ("mutation", "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>"),
        ("mutation", "<math><mtext><table><mglyph><xmp><!--</xmp><img title='--&gt;&lt;img src=1 onerror=alert(1)&gt;'>"),
        ("mutation", "<template><script>alert(1)</script></template>"),
        ("mutation", "<textarea><script>alert(1)</script></textarea>"),
        ("mutation", "<title><img src=x onerror=alert(1)></title>"),
        ("mutation", "<!--><img src=x onerror=alert(1)>-->"),
        ("mutation", "<![CDATA[<img src=x onerror=alert(1)>]]>"),
        ("other", "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">"),
        ("other", "<base href=javascript:alert(1)//><link rel=stylesheet href=x>"),
        ("other", "<form action=javascript:alert(1)><input type=submit><button formaction=x>go</button></form>"),
        ("other", "<p>\u{0}<scr\u{0}ipt>alert(1)</script>\u{202E}5 mg</p>"),
        ("other", "<plaintext><script>alert(1)</script>"),
    ];

    #[test]
    fn no_attack_family_survives_any_output() {
        for (family, payload) in FAMILIES {
            check_untrusted(payload);
            // Also as CDA: the same attacks can sit inside a section's text.
            assert_only_allowed_markup(&cda_text_to_html(payload), family);
        }
    }

    #[test]
    fn attacks_leave_only_their_harmless_text() {
        let cases = [
            ("<script>alert(1)</script>ok", "ok"),
            ("<a href=\"javascript:alert(1)\">click</a>", "click"),
            ("<img src=x onerror=alert(1)>", ""),
            (
                "<div style=\"background:url(javascript:alert(1))\">x</div>",
                "<div>x</div>",
            ),
            (
                "<p onmouseover=\"alert(1)\" class=x>hover</p>",
                "<p>hover</p>",
            ),
            ("<svg><script>alert(1)</script></svg>after", "after"),
            ("<style>@import 'x.css';</style>", ""),
            (
                "<title>t</title><noscript>n</noscript><template>t</template>",
                "",
            ),
            (
                "&lt;script&gt;alert(1)&lt;/script&gt;",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            ("&amp;lt;script&amp;gt;", "&amp;lt;script&amp;gt;"),
            ("<td colspan=\"2\" rowspan=x>c</td>", "c"),
            (
                "<table><tr><td colspan=\"2\" rowspan=\"x\">c</td></tr></table>",
                "<table><tbody><tr><td colspan=\"2\">c</td></tr></tbody></table>",
            ),
            ("<form><input value=x><button>go</button></form>", "go"),
            ("<!-- secret -->text", "text"),
        ];
        for (input, expected) in cases {
            assert_eq!(sanitize_html(input), expected, "{input:?}");
        }
    }

    #[test]
    fn entity_encoded_markup_stays_inert_text() {
        let cases = [
            (
                "&lt;script&gt;alert(1)&lt;/script&gt;",
                "< script>alert(1)< /script>",
            ),
            ("&amp;lt;script&amp;gt;", "&lt;script&gt;"),
            ("&#60;!-- x --&#62;", "< !-- x -->"),
            ("<<script>x</script>/script>", "< /script>"),
            ("a &lt;b&gt; c &lt; d", "a < b> c < d"),
            ("<p>HbA1c &lt; 7%</p>", "HbA1c < 7%"),
            ("HbA1c < 7% <b>target</b>", "HbA1c < 7% target"),
        ];
        for (input, text) in cases {
            assert_eq!(html_to_text(input), text, "{input:?}");
        }
    }

    const LAB_NARRATIVE: &str = r#"<div xmlns="http://www.w3.org/1999/xhtml">
  <h3>Laboratory results</h3>
  <p>Fasting sample, <b>abnormal</b> values in <span style="color:red">red</span>.
     See <a href="https://lis.example/report/1">the report</a>.</p>
  <table class="grid">
    <thead><tr><th>Test</th><th>Value</th><th>Reference</th></tr></thead>
    <tbody>
      <tr><td>Glucose</td><td><b>7.8 mmol/L</b></td><td>3.9&#8211;6.1</td></tr>
      <tr><td>HbA1c</td><td>6.9 %</td><td>&lt; 7 %</td></tr>
      <tr><td colspan="3">Haemolysed: potassium not reported</td></tr>
    </tbody>
  </table>
  <ul><li>Repeat in <i>3 months</i></li><li>Diet advice given</li></ul>
</div>"#;

    #[test]
    fn lab_narrative_keeps_its_structure() {
        let expected = "<div>\n  <h3>Laboratory results</h3>\n  <p>Fasting sample, <b>abnormal</b> values in <span>red</span>.\n     See the report.</p>\n  <table>\n    <thead><tr><th>Test</th><th>Value</th><th>Reference</th></tr></thead>\n    <tbody>\n      <tr><td>Glucose</td><td><b>7.8 mmol/L</b></td><td>3.9–6.1</td></tr>\n      <tr><td>HbA1c</td><td>6.9 %</td><td>&lt; 7 %</td></tr>\n      <tr><td colspan=\"3\">Haemolysed: potassium not reported</td></tr>\n    </tbody>\n  </table>\n  <ul><li>Repeat in <i>3 months</i></li><li>Diet advice given</li></ul>\n</div>";
        assert_eq!(sanitize_html(LAB_NARRATIVE), expected);
    }

    #[test]
    fn lab_narrative_reads_as_lines_of_text() {
        let expected = "Laboratory results\n\
                        Fasting sample, abnormal values in red. See the report.\n\
                        Test | Value | Reference\n\
                        Glucose | 7.8 mmol/L | 3.9–6.1\n\
                        HbA1c | 6.9 % | < 7 %\n\
                        Haemolysed: potassium not reported\n\
                        Repeat in 3 months\n\
                        Diet advice given";
        assert_eq!(html_to_text(LAB_NARRATIVE), expected);
    }

    #[test]
    fn chinese_discharge_summary_is_unchanged() {
        let input = "<div><p><b>出院小结</b></p><p>患者张伟，男，56岁，因“胸痛3小时”入院。</p>\
                     <ol><li>冠心病</li><li>高血压 2级</li></ol></div>";
        assert_eq!(sanitize_html(input), input);
        assert_eq!(
            html_to_text(input),
            "出院小结\n患者张伟，男，56岁，因“胸痛3小时”入院。\n冠心病\n高血压 2级"
        );
    }

    #[test]
    fn text_breaks_and_blank_lines() {
        let cases = [
            ("a<br>b", "a\nb"),
            ("a<br><br><br><br>b", "a\n\nb"),
            ("  <p>  a   b </p>\n\n<p>c</p>  ", "a b\nc"),
            ("<pre>x  =  1\n  y</pre>", "x  =  1\n  y"),
            (
                "<table><tr><td>a</td><td></td><td>c</td></tr></table>",
                "a |  | c",
            ),
            (
                "<table><tr><td><p>a</p></td><td>b</td></tr></table>",
                "a | b",
            ),
            ("x&nbsp;&nbsp;y&amp;z", "x y&z"),
            ("<script>var a = '<p>';</script><style>p{}</style>ok", "ok"),
        ];
        for (input, expected) in cases {
            assert_eq!(html_to_text(input), expected, "{input:?}");
        }
    }

    #[test]
    fn plain_text_keeps_text_and_drops_markup_and_controls() {
        let cases = [
            ("张伟", "张伟"),
            ("  Aspirin 100 mg  ", "Aspirin 100 mg"),
            ("HbA1c < 7% & LDL > 2", "HbA1c < 7% & LDL > 2"),
            ("AT&amp;T", "AT&amp;T"),
            ("line 1\r\nline 2\rline 3", "line 1\nline 2\nline 3"),
            ("a\tb\u{0}c\u{7}d\u{1b}[31me\u{85}", "a\tbcd[31me"),
            ("dose \u{202E}01\u{202C} mg", "dose 01 mg"),
            ("<b>Aspirin</b> 100 mg", "Aspirin 100 mg"),
            ("<\u{0}script>alert(1)</script>", ""),
            ("a <b", "a"),
        ];
        for (input, expected) in cases {
            assert_eq!(plain_text(input), expected, "{input:?}");
        }
    }

    #[test]
    fn cda_section_becomes_equivalent_html() {
        let xml = r#"<text xmlns="urn:hl7-org:v3">
<paragraph>Admitted with <content styleCode="Bold">chest pain</content>.<br/>Seen by
<linkHtml href="javascript:alert(1)">cardiology</linkHtml>.</paragraph>
<list listType="ordered"><caption>Diagnoses</caption><item>冠心病</item><item>Hypertension<sub>2</sub></item></list>
<list><item>Aspirin</item></list>
<table border="1"><caption>Labs</caption><thead><tr><th>Test</th><th>Value</th></tr></thead>
<tbody><tr><td ID="a1">Troponin</td><td styleCode="Bold">0.8<sup>*</sup></td></tr>
<tr><td colspan="2">See <footnote>repeated at 6 h</footnote></td></tr></tbody></table>
<renderMultiMedia referencedObject="MM1"><caption>ECG</caption></renderMultiMedia>
<unknown>kept text</unknown>
</text>"#;
        let expected = "\n<p>Admitted with <b>chest pain</b>.<br>Seen by\ncardiology.</p>\n\
<ol><b>Diagnoses</b><li>冠心病</li><li>Hypertension<sub>2</sub></li></ol>\n\
<ul><li>Aspirin</li></ul>\n\
<table><caption>Labs</caption><thead><tr><th>Test</th><th>Value</th></tr></thead>\n\
<tbody><tr><td>Troponin</td><td>0.8<sup>*</sup></td></tr>\n\
<tr><td colspan=\"2\">See <small>repeated at 6 h</small></td></tr></tbody></table>\n\
\n\
kept text\n";
        assert_eq!(cda_text_to_html(xml), expected);
        let prefixed =
            "<hl7:text xmlns:hl7=\"urn:hl7-org:v3\"><hl7:paragraph>p</hl7:paragraph></hl7:text>";
        assert_eq!(cda_text_to_html(prefixed), "<p>p</p>");
    }

    #[test]
    fn malformed_cda_yields_escaped_text_never_raw_input() {
        let cases = [
            ("<text><paragraph>unclosed", "<p>unclosed</p>"),
            ("<text></item>stray</list></text>", "stray"),
            (
                "<text><paragraph><content>a</paragraph>b</text>",
                "<p>a</p>b",
            ),
            (
                "<text><![CDATA[<script>alert(1)</script> & more]]></text>",
                "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more",
            ),
            ("<text><![CDATA[<b>never closed", "&lt;b&gt;never closed"),
            ("<<<>>>&&&", "&lt;&lt;&lt;&gt;&gt;&gt;&amp;&amp;&amp;"),
            (
                "<text><renderMultiMedia><paragraph>hidden</paragraph></text>",
                "",
            ),
            ("<text><td colspan=\"x\">c</td></text>", "c"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(cda_text_to_html(input), expected, "{input:?}");
        }
    }
}
