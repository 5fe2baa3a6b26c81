//! CSV records as ImportTable reads them (`InputFormat: CSV`): RFC 4180 quoting (`"a,b"`,
//! `""` for a quote, newlines inside quotes), a one-byte delimiter (`InputFormatOptions.Csv
//! .Delimiter`, comma by default), `\n` or `\r\n` line ends. A record is read whole before it is
//! split, up to [`super::RECORD_BYTES_MAX`]; a longer one is skipped to its end (an error for
//! the import's `ErrorCount`) without being held.

use std::io::BufRead;

/// What one record read gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Record {
    /// The fields.
    Fields(Vec<String>),
    /// A record that is not valid CSV, or too long: why.
    Bad(String),
}

/// Reads CSV records from `input`.
pub struct Reader<R> {
    input: R,
    delimiter: u8,
    record_bytes_max: usize,
    /// Bytes consumed so far.
    pub consumed: u64,
}

impl<R: BufRead> Reader<R> {
    pub fn new(input: R, delimiter: u8, record_bytes_max: usize) -> Self {
        Reader { input, delimiter, record_bytes_max, consumed: 0 }
    }

    /// The input, where reading stopped.
    pub fn into_inner(self) -> R {
        self.input
    }

    /// The next record's raw bytes (quotes kept), `None` at the end; `Err(true)` when it was
    /// longer than the bound (and skipped).
    fn raw(&mut self) -> std::io::Result<Option<Result<Vec<u8>, usize>>> {
        #[derive(Clone, Copy, PartialEq)]
        enum At {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let mut out = Vec::new();
        let mut at = At::FieldStart;
        let mut len = 0usize;
        let mut any = false;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(if !any {
                    None
                } else if len > self.record_bytes_max {
                    Some(Err(len))
                } else {
                    Some(Ok(out))
                });
            }
            any = true;
            let mut used = 0;
            let mut done = false;
            for &c in buf {
                used += 1;
                // Only a quote at a field's start opens quoting (a stray one is split's error).
                at = match (at, c) {
                    (At::Quoted, b'"') => At::QuoteInQuoted,
                    (At::Quoted, _) => At::Quoted,
                    (At::FieldStart | At::QuoteInQuoted, b'"') => At::Quoted,
                    (_, b'\n') => {
                        done = true;
                        break;
                    }
                    (_, c) if c == self.delimiter => At::FieldStart,
                    _ => At::Unquoted,
                };
                len += 1;
                if len <= self.record_bytes_max {
                    out.push(c);
                }
            }
            self.input.consume(used);
            self.consumed += used as u64;
            if done {
                if out.last() == Some(&b'\r') {
                    out.pop();
                }
                return Ok(Some(if len > self.record_bytes_max { Err(len) } else { Ok(out) }));
            }
        }
    }

    /// The next record, `None` at the end of the input. Blank lines are skipped.
    pub fn next_record(&mut self) -> std::io::Result<Option<Record>> {
        loop {
            let raw = match self.raw()? {
                None => return Ok(None),
                Some(Err(len)) => {
                    return Ok(Some(Record::Bad(format!(
                        "the record is {len} bytes, more than {}",
                        self.record_bytes_max
                    ))))
                }
                Some(Ok(raw)) => raw,
            };
            if raw.is_empty() {
                continue;
            }
            return Ok(Some(split(&raw, self.delimiter)));
        }
    }
}

/// Splits one record's bytes into fields, unquoting.
pub fn split(raw: &[u8], delimiter: u8) -> Record {
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut i = 0;
    let mut at_start = true;
    let mut in_quotes = false;
    while let Some(&c) = raw.get(i) {
        i += 1;
        if in_quotes {
            if c == b'"' {
                if raw.get(i) == Some(&b'"') {
                    field.push(b'"');
                    i += 1;
                } else {
                    in_quotes = false;
                    // After a closing quote: the delimiter or the end.
                    match raw.get(i) {
                        None => {}
                        Some(&d) if d == delimiter => {}
                        Some(_) => {
                            return Record::Bad(format!(
                                "field {} has text after its closing quote",
                                fields.len() + 1
                            ))
                        }
                    }
                }
            } else {
                field.push(c);
            }
            continue;
        }
        if c == delimiter {
            fields.push(std::mem::take(&mut field));
            at_start = true;
            continue;
        }
        if c == b'"' {
            if at_start && field.is_empty() {
                in_quotes = true;
                at_start = false;
                continue;
            }
            return Record::Bad(format!("field {} has a quote inside it", fields.len() + 1));
        }
        at_start = false;
        field.push(c);
    }
    if in_quotes {
        return Record::Bad("the record ends inside a quoted field".into());
    }
    fields.push(field);
    let mut out = Vec::with_capacity(fields.len());
    for (n, f) in fields.into_iter().enumerate() {
        match String::from_utf8(f) {
            Ok(s) => out.push(s),
            Err(_) => return Record::Bad(format!("field {} is not valid UTF-8", n + 1)),
        }
    }
    Record::Fields(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, d: u8, max: usize) -> Vec<Record> {
        let mut r = Reader::new(text.as_bytes(), d, max);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push(rec);
        }
        assert_eq!(r.consumed, text.len() as u64);
        out
    }

    fn fields(v: &[&str]) -> Record {
        Record::Fields(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn quoting_delimiters_and_line_ends() {
        let text = "a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\n\n2,\"multi\nline\",\n3";
        assert_eq!(
            all(text, b',', 1000),
            vec![
                fields(&["a", "b", "c"]),
                fields(&["1", "x,y", "say \"hi\""]),
                fields(&["2", "multi\nline", ""]),
                fields(&["3"]),
            ]
        );
        assert_eq!(all("a\tb|c\n", b'\t', 100), vec![fields(&["a", "b|c"])]);
    }

    #[test]
    fn bad_records_are_named_and_reading_goes_on() {
        let recs = all("a\"b,c\n\"x\"y,z\n\"open,\nok,1\n", b',', 1000);
        assert!(matches!(&recs[0], Record::Bad(m) if m.contains("quote inside")));
        assert!(matches!(&recs[1], Record::Bad(m) if m.contains("after its closing quote")));
        // An unclosed quote swallows the rest of the input: one bad record.
        assert!(matches!(&recs[2], Record::Bad(m) if m.contains("ends inside")));
        assert_eq!(recs.len(), 3);
    }

    #[test]
    fn an_oversize_record_is_skipped_without_being_held() {
        let long = "x".repeat(10_000);
        let recs = all(&format!("a,b\n{long}\nc,d\n"), b',', 100);
        assert_eq!(recs[0], fields(&["a", "b"]));
        assert!(matches!(&recs[1], Record::Bad(m) if m.contains("10000 bytes")));
        assert_eq!(recs[2], fields(&["c", "d"]));
    }
}
