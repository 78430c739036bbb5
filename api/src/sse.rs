//! An incremental parser of Server-Sent Events (the WHATWG `text/event-stream` format), fed
//! with the chunks of a response body as they arrive: a chunk may end anywhere, even inside a
//! UTF-8 character or between the `\r` and `\n` of a line end.

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseMessage {
    /// The `event:` field (`message` when absent).
    pub event: String,
    /// The `id:` field, if any.
    pub id: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Longest line buffered, in bytes: a line longer than this is dropped (a broken or hostile
/// stream cannot make the client buffer without bound).
pub const SSE_LINE_BYTES_MAX: usize = 1024 * 1024;

/// Incremental SSE parser.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The last byte seen was `\r`: a `\n` right after it ends nothing more.
    after_cr: bool,
    /// Inside an over-long line being skipped.
    skipping: bool,
    event: Option<String>,
    id: Option<String>,
    data: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one chunk; returns the events it completes.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseMessage> {
        let mut out = Vec::new();
        for &byte in chunk {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\r' | b'\n' => {
                    self.after_cr = byte == b'\r';
                    if self.skipping {
                        self.skipping = false;
                        self.line.clear();
                        continue;
                    }
                    let line = std::mem::take(&mut self.line);
                    if let Some(message) = self.line_done(&line) {
                        out.push(message);
                    }
                }
                _ if self.skipping => {}
                _ if self.line.len() >= SSE_LINE_BYTES_MAX => {
                    self.skipping = true;
                    self.line.clear();
                }
                _ => self.line.push(byte),
            }
        }
        out
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseMessage> {
        if line.is_empty() {
            return self.dispatch();
        }
        let text = String::from_utf8_lossy(line);
        if text.starts_with(':') {
            return None; // a comment (the node's keep-alives)
        }
        let (field, value) = match text.find(':') {
            Some(i) => {
                let value = &text[i + 1..];
                (&text[..i], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (text.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {} // `retry` and unknown fields are ignored
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseMessage> {
        let event = self.event.take();
        let data = self.data.take()?;
        Some(SseMessage { event: event.unwrap_or_else(|| "message".into()), id: self.id.clone(), data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str =
        ": keep-alive\n\nevent: ISSUED\nid: 5.0\ndata: {\"kind\":\"ISSUED\",\"name\":\"é\"}\n\n\
                          event: REFUSED\r\nid: 6.1\r\ndata: line one\r\ndata:line two\r\n\r\n";

    fn expected() -> Vec<SseMessage> {
        vec![
            SseMessage {
                event: "ISSUED".into(),
                id: Some("5.0".into()),
                data: "{\"kind\":\"ISSUED\",\"name\":\"é\"}".into(),
            },
            SseMessage { event: "REFUSED".into(), id: Some("6.1".into()), data: "line one\nline two".into() },
        ]
    }

    #[test]
    fn whole_stream_parses() {
        assert_eq!(SseParser::new().push(STREAM.as_bytes()), expected());
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let bytes = STREAM.as_bytes();
        for split in 0..=bytes.len() {
            let mut parser = SseParser::new();
            let mut got = parser.push(&bytes[..split]);
            got.extend(parser.push(&bytes[split..]));
            assert_eq!(got, expected(), "split at {split}");
        }
        let mut parser = SseParser::new();
        let got: Vec<SseMessage> = bytes.iter().flat_map(|b| parser.push(&[*b])).collect();
        assert_eq!(got, expected(), "byte by byte");
    }

    #[test]
    fn an_event_without_data_is_not_dispatched_and_overlong_lines_are_dropped() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"event: X\n\n").is_empty());
        let long = format!("data: {}\n\ndata: ok\n\n", "x".repeat(SSE_LINE_BYTES_MAX + 10));
        let got = parser.push(long.as_bytes());
        assert_eq!(got, vec![SseMessage { event: "message".into(), id: None, data: "ok".into() }]);
    }
}
