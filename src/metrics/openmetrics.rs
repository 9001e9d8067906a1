//! The `OpenMetrics` text format, as much of it as vmigrate writes: metric
//! families (`# TYPE`, `# HELP`), their samples with labels, and `# EOF`
//! last. Pure: the text is built here and written by [`super::file`].
//!
//! Counters follow the spec: the family is named without `_total`, each
//! sample with it. Label values and help texts are escaped as the spec
//! asks (`\\`, `\"`, `\n`); names are the caller's constants.

use std::fmt::Write as _;

/// A family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

/// One metric family and its samples.
#[derive(Debug, Clone)]
pub struct Family {
    name: &'static str,
    kind: Kind,
    help: &'static str,
    /// Label pairs and value.
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    /// A family with no samples yet. `name` must be a valid metric name
    /// (`[a-zA-Z_:][a-zA-Z0-9_:]*`); a counter's without `_total`.
    pub fn new(name: &'static str, kind: Kind, help: &'static str) -> Family {
        Family {
            name,
            kind,
            help,
            samples: Vec::new(),
        }
    }

    /// Adds a sample. A value that is not finite is left out: no vmigrate
    /// figure is meant to be infinite, and "NaN" would only confuse a graph.
    pub fn add(&mut self, labels: &[(&'static str, &str)], value: f64) {
        if value.is_finite() {
            let labels = labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
            self.samples.push((labels, value));
        }
    }
}

/// The text of `families`, ending with `# EOF`.
pub fn render(families: &[Family]) -> String {
    let mut out = String::new();
    for f in families {
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.word());
        let _ = writeln!(out, "# HELP {} {}", f.name, escape(f.help));
        let suffix = if f.kind == Kind::Counter {
            "_total"
        } else {
            ""
        };
        for (labels, value) in &f.samples {
            out.push_str(f.name);
            out.push_str(suffix);
            if !labels.is_empty() {
                let pairs: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                let _ = write!(out, "{{{}}}", pairs.join(","));
            }
            let _ = writeln!(out, " {}", number(*value));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// A label value or help text escaped per the spec.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A finite value: integers without a fraction, others as Rust prints
/// them (shortest round-trip form, never an exponent).
fn number(v: f64) -> String {
    // 2^53: beyond it an f64 is no longer an exact integer anyway.
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "an exact integer, checked above"
        )]
        let i = v as i64;
        i.to_string()
    } else {
        format!("{v}")
    }
}
