//! Reads the host facts vmigrate needs from libvirt's capabilities XML.

/// What the capabilities document says about the host itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HostCapabilities {
    /// `host/uuid`: libvirt's host UUID (libvirt refuses to migrate between
    /// two hosts that share one, so a duplicate is worth showing).
    pub uuid: Option<String>,
    /// `host/cpu/arch`, e.g. `x86_64`.
    pub arch: Option<String>,
    /// `host/cpu/model`, e.g. `Skylake-Client-IBRS`.
    pub cpu_model: Option<String>,
    /// `host/cpu/vendor`, e.g. `Intel`.
    pub cpu_vendor: Option<String>,
    /// `host/cpu/feature/@name`, sorted.
    pub cpu_features: Vec<String>,
}

/// Why a capabilities document says nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CapabilitiesError {
    #[error("bad capabilities XML: {0}")]
    Xml(String),
    #[error("capabilities XML has no <host>")]
    NoHost,
}

/// Parses the capabilities XML; missing elements stay `None`.
pub(crate) fn parse(xml: &str) -> Result<HostCapabilities, CapabilitiesError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| CapabilitiesError::Xml(e.to_string()))?;
    let host = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("host"))
        .ok_or(CapabilitiesError::NoHost)?;
    let child_text = |parent: roxmltree::Node, tag: &str| {
        parent
            .children()
            .find(|n| n.has_tag_name(tag))
            .and_then(|n| n.text())
            .map(|t| t.trim().to_string())
    };
    let cpu = host.children().find(|n| n.has_tag_name("cpu"));
    Ok(HostCapabilities {
        uuid: child_text(host, "uuid"),
        arch: cpu.and_then(|c| child_text(c, "arch")),
        cpu_model: cpu.and_then(|c| child_text(c, "model")),
        cpu_vendor: cpu.and_then(|c| child_text(c, "vendor")),
        cpu_features: {
            let mut f: Vec<String> = cpu
                .map(|c| {
                    c.children()
                        .filter(|n| n.has_tag_name("feature"))
                        .filter_map(|n| n.attribute("name").map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            f.sort();
            f
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from a lab host (libvirt 9.0, nested KVM), trimmed.
    const LAB: &str = r"<capabilities>
  <host>
    <uuid>6a1d0c6e-0000-4000-8000-000000000001</uuid>
    <cpu>
      <arch>x86_64</arch>
      <model>Skylake-Client-IBRS</model>
      <vendor>Intel</vendor>
      <microcode version='1'/>
      <topology sockets='1' dies='1' cores='2' threads='1'/>
      <feature name='vmx'/>
    </cpu>
    <power_management/>
  </host>
  <guest><os_type>hvm</os_type><arch name='x86_64'><model>x</model></arch></guest>
</capabilities>";

    #[test]
    fn reads_host_fields_not_guest_ones() {
        let c = parse(LAB).unwrap();
        assert_eq!(
            c.uuid.as_deref(),
            Some("6a1d0c6e-0000-4000-8000-000000000001")
        );
        assert_eq!(c.arch.as_deref(), Some("x86_64"));
        assert_eq!(c.cpu_model.as_deref(), Some("Skylake-Client-IBRS"));
        assert_eq!(c.cpu_vendor.as_deref(), Some("Intel"));
        assert_eq!(c.cpu_features, vec!["vmx".to_string()]);
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(parse("<nope"), Err(CapabilitiesError::Xml(_))));
        assert_eq!(
            parse("<capabilities/>").unwrap_err().to_string(),
            "capabilities XML has no <host>"
        );
    }
}
