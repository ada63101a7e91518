//! Clinical documents (`DocumentReference`) as readable blocks of text:
//! plain text, sanitised HTML, or the sections of a CDA R2 document (WS/T
//! 500 shared documents). Nothing here is HTML for the webview: the UI
//! renders [`DocBlock`]s as text.

use base64::Engine as _;
use serde_json::Value;

use super::Index;
use crate::fhir::{
    array, concept_text, date_choice, human_name, owned, reference_target, str_field,
};
use crate::sanitize::{defuse_tags, html_blocks, read_cda, without_unwanted_chars};
use crate::view::{DocBlock, DocumentFormat, DocumentView};

/// Attachments larger than this are not rendered (a document of this size
/// is not read in a consultation, and parsing it would stall the chart).
const MAX_RENDERED_BYTES: usize = 2 * 1024 * 1024;

/// What kind of text an attachment's content type says it holds.
pub(crate) fn textual_format(content_type: &str) -> Option<DocumentFormat> {
    let t = content_type.trim().to_ascii_lowercase();
    let essence = t.split(';').next().unwrap_or("").trim();
    match essence {
        "text/plain" => Some(DocumentFormat::Text),
        "text/html" | "application/xhtml+xml" => Some(DocumentFormat::Html),
        "application/xml"
        | "text/xml"
        | "application/hl7-v3+xml"
        | "application/cda+xml"
        | "application/hl7-cda+xml" => Some(DocumentFormat::Cda),
        _ => None,
    }
}

/// An attachment's inline text and what kind it is, when it is text of a
/// kind the chart shows and not too large to read in a consultation.
pub(crate) fn readable(
    content_type: Option<&str>,
    data: Option<&str>,
) -> Option<(DocumentFormat, String)> {
    let content_type = content_type?;
    let format = textual_format(content_type)?;
    // Base64 is often wrapped in lines (CDA documents especially).
    let data: String = data?.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()
        .filter(|b| b.len() <= MAX_RENDERED_BYTES)?;
    Some((format, decode_text(content_type, bytes)?))
}

/// Text in the charset its content type names; without one, UTF-8, else
/// GB18030 (what Chinese hospital systems write when they do not say).
fn decode_text(content_type: &str, bytes: Vec<u8>) -> Option<String> {
    let charset = content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_owned())
    });
    match charset
        .as_deref()
        .map(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
    {
        Some(Some(encoding)) => {
            let (text, _, malformed) = encoding.decode(&bytes);
            (!malformed).then(|| text.into_owned())
        }
        // A charset nobody knows: nothing is guessed.
        Some(None) => None,
        None => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(not_utf8) => {
                let (text, _, malformed) = encoding_rs::GB18030.decode(not_utf8.as_bytes());
                (!malformed).then(|| text.into_owned())
            }
        },
    }
}

/// The blocks of an attachment's text in `format`. Plain text is taken
/// line by line as it is: only unwanted characters go, and a `<` that
/// would open a tag gets a space ("PLT < LLN" stays readable text).
pub(crate) fn text_blocks(format: DocumentFormat, text: &str) -> Vec<DocBlock> {
    match format {
        DocumentFormat::Text => text
            .lines()
            .map(|line| defuse_tags(&without_unwanted_chars(line)))
            .filter(|line| !line.trim().is_empty())
            .map(|line| DocBlock::Paragraph {
                text: line.trim().to_owned(),
            })
            .collect(),
        DocumentFormat::Html | DocumentFormat::Narrative => html_blocks(text),
        DocumentFormat::Cda => read_cda(text).blocks,
    }
}

/// The view of one DocumentReference: its first attachment that is text,
/// else its narrative.
pub(super) fn document_view(id: String, r: &Value, index: &Index<'_>) -> DocumentView {
    let attachments: Vec<&Value> = array(r, "content")
        .filter_map(|c| c.get("attachment"))
        .collect();
    // Every attachment that is text is shown, one after the other; any
    // that is not (a PDF, an image, a link, a CDA without a structured
    // body, or one withheld from this tier) makes the document "withheld".
    let mut withheld = false;
    let mut rendered: Option<(DocumentFormat, Vec<DocBlock>)> = None;
    for a in &attachments {
        match readable(str_field(a, "contentType"), str_field(a, "data")) {
            Some((DocumentFormat::Cda, text)) => {
                let cda = read_cda(&text);
                withheld |= cda.non_xml_body || cda.blocks.is_empty();
                let (_, blocks) = rendered.get_or_insert((DocumentFormat::Cda, Vec::new()));
                blocks.extend(cda.blocks);
            }
            Some((format, text)) => {
                let (_, blocks) = rendered.get_or_insert((format, Vec::new()));
                blocks.extend(text_blocks(format, &text));
            }
            None => withheld = true,
        }
    }
    let (format, blocks) = rendered.unwrap_or_else(|| {
        let narrative = r.pointer("/text/div").and_then(Value::as_str).unwrap_or("");
        (DocumentFormat::Narrative, html_blocks(narrative))
    });
    let kind = r.get("type").and_then(concept_text);
    let title = owned(r, "description")
        .or_else(|| attachments.iter().find_map(|a| owned(a, "title")))
        .or_else(|| kind.clone())
        .unwrap_or_default();
    DocumentView {
        id,
        title,
        kind,
        date: owned(r, "date")
            .or_else(|| r.pointer("/context/period").and_then(|p| owned(p, "start")))
            .or_else(|| attachments.iter().find_map(|a| owned(a, "creation")))
            .or_else(|| date_choice(r, "effective")),
        source: r
            .get("custodian")
            .and_then(|c| index.organization_name(c))
            .or_else(|| index.source_of(r)),
        author: array(r, "author").find_map(|a| match index.get(a) {
            Some(person) if str_field(person, "resourceType") == Some("Practitioner") => {
                human_name(person.get("name"))
            }
            Some(org) if str_field(org, "resourceType") == Some("Organization") => {
                owned(org, "name")
            }
            _ => owned(a, "display"),
        }),
        encounter: array(r.get("context").unwrap_or(&Value::Null), "encounter")
            .find_map(reference_target)
            .map(|(_, id)| id.to_owned()),
        format,
        blocks,
        withheld,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanitize::read_cda;

    #[test]
    fn a_cda_body_reads_as_sections_and_its_header_never_shows() {
        let xml = r#"<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3">
            <title>健康档案摘要</title>
            <recordTarget><patientRole><id extension="110105196503152252"/><patient><name>张伟</name></patient></patientRole></recordTarget>
            <component><structuredBody>
              <component><section><title>问题列表</title><text><list><item><content>高血压</content></item><item>2型糖尿病</item></list></text></section></component>
              <component><section><title>Results &amp; notes</title><text><paragraph>HbA1c &lt; 7%<br/>stable</paragraph>
                <table><tr><th>Test</th><th>Value</th></tr><tr><td>eGFR</td><td>72</td></tr></table></text></section></component>
            </structuredBody></component></ClinicalDocument>"#;
        let blocks = text_blocks(DocumentFormat::Cda, xml);
        assert_eq!(
            blocks,
            [
                DocBlock::Heading {
                    text: "问题列表".into()
                },
                DocBlock::Item {
                    text: "高血压".into()
                },
                DocBlock::Item {
                    text: "2型糖尿病".into()
                },
                DocBlock::Heading {
                    text: "Results & notes".into()
                },
                DocBlock::Paragraph {
                    text: "HbA1c < 7%".into()
                },
                DocBlock::Paragraph {
                    text: "stable".into()
                },
                DocBlock::Row {
                    cells: vec!["Test".into(), "Value".into()]
                },
                DocBlock::Row {
                    cells: vec!["eGFR".into(), "72".into()]
                },
            ]
        );
        let all = format!("{blocks:?}");
        assert!(!all.contains("张伟") && !all.contains("110105"), "{all}");
    }

    #[test]
    fn hostile_html_becomes_its_words() {
        let html = "<html><body><h1>出院小结</h1><p>Patient <b>stable</b></p>\
                    <script>alert('x')</script><img src=x onerror=alert(1)>\
                    <a href=\"javascript:alert(1)\">医院</a></body></html>";
        assert_eq!(
            text_blocks(DocumentFormat::Html, html),
            [
                DocBlock::Heading {
                    text: "出院小结".into()
                },
                DocBlock::Paragraph {
                    text: "Patient stable".into()
                },
                DocBlock::Paragraph {
                    text: "医院".into()
                },
            ]
        );
    }

    #[test]
    fn plain_text_is_a_paragraph_per_line_kept_as_written() {
        assert_eq!(
            text_blocks(
                DocumentFormat::Text,
                "第一行\n\n  PLT <LLN, <b>x</b> \u{202E}line \r\n"
            ),
            [
                DocBlock::Paragraph {
                    text: "第一行".into()
                },
                DocBlock::Paragraph {
                    text: "PLT < LLN, < b>x< /b> line".into()
                },
            ]
        );
    }

    #[test]
    fn table_cells_hold_text_only_and_nested_tables_lose_nothing() {
        let html = "<table><tr><td>&lt;img src=x onerror=alert(1)&gt;</td><td><h2>72</h2><ul><li>a</li></ul></td></tr>\
                    <tr><td>outer<table><tr><td>inner</td></tr></table></td><td>last</td></tr></table>";
        assert_eq!(
            html_blocks(html),
            [
                DocBlock::Row {
                    cells: vec!["< img src=x onerror=alert(1)>".into(), "72 a".into()]
                },
                DocBlock::Row {
                    cells: vec!["inner".into()]
                },
                DocBlock::Row {
                    cells: vec!["outer".into(), "last".into()]
                },
            ]
        );
        let blocks = vec![
            DocBlock::Heading {
                text: "出院 <小结> & 医嘱".into(),
            },
            DocBlock::Paragraph {
                text: "HbA1c < 7%".into(),
            },
            DocBlock::Item { text: "一".into() },
            DocBlock::Row {
                cells: vec!["a".into(), "b & c".into()],
            },
        ];
        assert_eq!(
            html_blocks(&crate::sanitize::blocks_to_html(&blocks)),
            blocks,
            "a round trip"
        );
    }

    #[test]
    fn a_cda_without_a_structured_body_or_marked_confidential_says_so() {
        let scanned = r#"<ClinicalDocument><confidentialityCode code="V" codeSystem="2.16.840.1.113883.5.25"/>
            <!-- <structuredBody><section><title>not this</title></section></structuredBody> -->
            <component><nonXMLBody><text mediaType="application/pdf">JVBERi0=</text></nonXMLBody></component></ClinicalDocument>"#;
        let read = read_cda(scanned);
        assert!(read.blocks.is_empty(), "{:?}", read.blocks);
        assert!(read.non_xml_body);
        assert_eq!(read.confidentiality, Some("V"));
        // A confidentiality code further down (an entry's) is not the document's.
        let entry = "<ClinicalDocument><component><structuredBody><component><section>\
                     <confidentialityCode code=\"R\"/><title>T</title></section></component></structuredBody></component></ClinicalDocument>";
        assert_eq!(read_cda(entry).confidentiality, None);
    }

    #[test]
    fn a_huge_hostile_cda_is_read_in_one_pass() {
        let mut xml =
            String::from("<ClinicalDocument><component><structuredBody><component><section>");
        for _ in 0..100_000 {
            xml.push_str("<text><title/>");
        }
        let started = std::time::Instant::now();
        let read = read_cda(&xml);
        assert!(read.blocks.is_empty());
        // Not a timing assertion of speed, a guard against the quadratic
        // case: a linear pass is milliseconds, a quadratic one minutes.
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn content_types_are_recognised_with_parameters_and_case() {
        assert_eq!(
            textual_format("Text/Plain; charset=UTF-8"),
            Some(DocumentFormat::Text)
        );
        assert_eq!(textual_format("application/xml"), Some(DocumentFormat::Cda));
        assert_eq!(textual_format("application/pdf"), None);
    }
}
