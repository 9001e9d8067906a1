//! URI templates such as `qemu+ssh://{user}@{address}:{port}/system`.
//!
//! Templates are parsed once, when the inventory is loaded, so a typo is
//! reported at the template's position in the file rather than when a
//! migration is already under way. They are then rendered once per host.
//!
//! Placeholders: `{name}`, `{user}`, `{address}`, `{port}`,
//! `{migration_address}`; `{{` and `}}` stand for literal braces.
//! `{address}` and `{migration_address}` render IPv6 addresses in brackets
//! (`fd00::1` becomes `[fd00::1]`) because that is the only form a URI's
//! host position accepts; hostnames and IPv4 addresses render unchanged.

use std::fmt;

/// The placeholder list as shown in error messages.
const ALLOWED: &str = "{name}, {user}, {address}, {port}, {migration_address}";

/// A parsed, known-good template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Field(Field),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Name,
    User,
    Address,
    Port,
    MigrationAddress,
}

/// The per-host values a template is rendered with.
pub(crate) struct Values<'a> {
    pub name: &'a str,
    pub user: &'a str,
    pub address: &'a str,
    pub port: u16,
    pub migration_address: &'a str,
}

/// Why a template was refused; positions are 1-based character indexes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TemplateError {
    Empty,
    Unknown(String),
    Unclosed(usize),
    Stray(usize),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Empty => {
                write!(f, "template is empty; remove the key to use the default")
            }
            TemplateError::Unknown(name) => write!(
                f,
                "unknown placeholder {{{name}}}; allowed placeholders are {ALLOWED} \
                 (write {{{{ and }}}} for literal braces)"
            ),
            TemplateError::Unclosed(at) => write!(
                f,
                "unclosed '{{' at character {at}; close the placeholder with '}}' \
                 or write '{{{{' for a literal brace"
            ),
            TemplateError::Stray(at) => write!(
                f,
                "unmatched '}}' at character {at}; write '}}}}' for a literal brace"
            ),
        }
    }
}

impl Template {
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        if source.is_empty() {
            return Err(TemplateError::Empty);
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = source.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.next_if(|&(_, n)| n == '{').is_some() => literal.push('{'),
                '}' if chars.next_if(|&(_, n)| n == '}').is_some() => literal.push('}'),
                '}' => return Err(TemplateError::Stray(i + 1)),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            // A second '{' before any '}' means the first was never closed.
                            Some((_, '{')) | None => return Err(TemplateError::Unclosed(i + 1)),
                            Some((_, ch)) => name.push(ch),
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(field(&name)?));
                }
                _ => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template { parts })
    }

    pub fn render(&self, values: &Values<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Field(Field::Name) => out.push_str(values.name),
                Part::Field(Field::User) => out.push_str(values.user),
                Part::Field(Field::Port) => out.push_str(&values.port.to_string()),
                Part::Field(Field::Address) => push_host(&mut out, values.address),
                Part::Field(Field::MigrationAddress) => {
                    push_host(&mut out, values.migration_address);
                }
            }
        }
        out
    }
}

fn field(name: &str) -> Result<Field, TemplateError> {
    Ok(match name {
        "name" => Field::Name,
        "user" => Field::User,
        "address" => Field::Address,
        "port" => Field::Port,
        "migration_address" => Field::MigrationAddress,
        other => return Err(TemplateError::Unknown(other.to_owned())),
    })
}

/// Only IPv6 addresses contain ':' (validated addresses have no port suffix).
fn push_host(out: &mut String, address: &str) {
    if address.contains(':') {
        out.push('[');
        out.push_str(address);
        out.push(']');
    } else {
        out.push_str(address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(address: &str) -> Values<'_> {
        Values {
            name: "kvm1",
            user: "root",
            address,
            port: 2222,
            migration_address: address,
        }
    }

    fn render(template: &str, address: &str) -> String {
        Template::parse(template).unwrap().render(&values(address))
    }

    #[test]
    fn renders_every_placeholder() {
        assert_eq!(
            render(
                "{name} {user}@{address}:{port} {migration_address}",
                "10.0.0.1"
            ),
            "kvm1 root@10.0.0.1:2222 10.0.0.1"
        );
    }

    #[test]
    fn brackets_ipv6_in_host_position() {
        assert_eq!(
            render("qemu+ssh://{user}@{address}:{port}/system", "fd00::1"),
            "qemu+ssh://root@[fd00::1]:2222/system"
        );
        assert_eq!(
            render("tcp://{migration_address}", "fd00::2"),
            "tcp://[fd00::2]"
        );
    }

    #[test]
    fn doubled_braces_are_literal() {
        assert_eq!(render("a{{b}}c{{{name}}}", "x"), "a{b}c{kvm1}");
    }

    #[test]
    fn reports_each_kind_of_mistake() {
        assert_eq!(Template::parse(""), Err(TemplateError::Empty));
        assert_eq!(
            Template::parse("tcp://{adress}"),
            Err(TemplateError::Unknown("adress".into()))
        );
        assert_eq!(
            Template::parse("{}"),
            Err(TemplateError::Unknown(String::new()))
        );
        assert_eq!(
            Template::parse("tcp://{address"),
            Err(TemplateError::Unclosed(7))
        );
        assert_eq!(Template::parse("{a{b}"), Err(TemplateError::Unclosed(1)));
        assert_eq!(Template::parse("tcp://x}"), Err(TemplateError::Stray(8)));
    }

    #[test]
    fn unknown_placeholder_message_lists_the_allowed_ones() {
        let msg = TemplateError::Unknown("adress".into()).to_string();
        assert!(msg.starts_with("unknown placeholder {adress};"), "{msg}");
        assert!(msg.contains(ALLOWED), "{msg}");
        assert!(msg.contains("{{ and }}"), "{msg}");
    }
}
