//! The fleet CPU matrix: which host can take guests from which, judged by
//! comparing each host's host-model CPU on every other host
//! (virConnectCompareHypervisorCPU), and a baseline CPU model to suggest
//! where they differ (virConnectBaselineHypervisorCPU).
//!
//! A difference is a warning, not a failure: every host still works, but a
//! host-model guest started on the richer host cannot move to the poorer.

use serde::Serialize;

use super::finding::Finding;
use crate::checks::Status;
use crate::hypervisor::CpuComparison;

/// One cell: can `to` run the host-model CPU of `from`?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub from: String,
    pub to: String,
    pub result: Result<CpuComparison, String>,
}

/// The suggested baseline, for the JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Baseline {
    /// Its `<model>`, e.g. `Skylake-Client`.
    pub model: Option<String>,
    /// The whole `<cpu>` definition, for a guest's XML.
    pub xml: String,
}

/// One finding per cell.
pub fn judge(cells: &[Cell]) -> Vec<Finding> {
    cells
        .iter()
        .map(|c| {
            let (from, to) = (c.from.as_str(), c.to.as_str());
            let f = match &c.result {
                Ok(CpuComparison::Runs(how)) => Finding::pass(
                    "cpu.compare",
                    Some(from),
                    format!("{to} can take host-model guests from {from} ({how})"),
                ),
                Ok(CpuComparison::Lacks(why)) => Finding::problem(
                    "cpu.compare",
                    Status::Warn,
                    Some(from),
                    format!(
                        "{to} cannot take host-model guests from {from}{}",
                        why.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
                    ),
                    format!(
                        "give guests that must move between {from} and {to} the fleet's baseline CPU (see cpu.baseline), or keep them on hosts like {from}"
                    ),
                ),
                Err(e) => Finding::problem(
                    "cpu.compare",
                    Status::Warn,
                    Some(from),
                    format!("could not compare {from}'s host CPU on {to}: {e}"),
                    format!("check libvirt on {from} and {to} (virsh domcapabilities, virsh hypervisor-cpu-compare)"),
                ),
            };
            f.to(to)
        })
        .collect()
}

/// Some host cannot take another's guests: a baseline is worth computing.
pub fn differ(cells: &[Cell]) -> bool {
    cells
        .iter()
        .any(|c| matches!(c.result, Ok(CpuComparison::Lacks(_))))
}

/// The `cpu.baseline` finding: a pass when the CPUs do not differ
/// (`baseline` is then `None`), else the suggestion or why there is none.
pub fn baseline_finding(
    hosts: usize,
    baseline: Option<&Result<String, String>>,
) -> (Finding, Option<Baseline>) {
    match baseline {
        None => (
            Finding::pass(
                "cpu.baseline",
                None,
                format!("no baseline needed: each of the {hosts} hosts compared can take the others' host-model guests"),
            ),
            None,
        ),
        Some(Ok(xml)) => {
            let b = Baseline {
                model: model_of(xml),
                xml: xml.clone(),
            };
            let model = b.model.clone().unwrap_or_else(|| "(unnamed)".into());
            (
                Finding::problem(
                    "cpu.baseline",
                    Status::Warn,
                    None,
                    format!("the hosts' CPUs differ; the CPU every host can run is {model} with {} features", feature_count(xml)),
                    format!(
                        "give guests that must be able to move anywhere <cpu mode='custom' match='exact'><model>{model}</model>…</cpu> (the whole definition: -o json, cpu_baseline.xml)"
                    ),
                ),
                Some(b),
            )
        }
        Some(Err(e)) => (
            Finding::problem(
                "cpu.baseline",
                Status::Warn,
                None,
                format!("the hosts' CPUs differ and have no common baseline: {e}"),
                "keep guests within hosts of one CPU family (zones or tags make the scheduler do so)",
            ),
            None,
        ),
    }
}

/// The `<model>` of a `<cpu>` definition.
pub fn model_of(cpu_xml: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(cpu_xml).ok()?;
    doc.descendants()
        .find(|n| n.has_tag_name("model"))
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
}

/// Required features of a `<cpu>` definition.
fn feature_count(cpu_xml: &str) -> usize {
    roxmltree::Document::parse(cpu_xml).map_or(0, |d| {
        d.descendants()
            .filter(|n| n.has_tag_name("feature") && n.attribute("policy") == Some("require"))
            .count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `virsh hypervisor-cpu-baseline --migratable` on lab1 (libvirt 9.0) of
    /// lab1's host-model CPU and an `Opteron_G3` with x2apic.
    const LAB_BASELINE: &str = "<cpu mode='custom' match='exact'>
  <model fallback='forbid'>kvm64</model>
  <vendor>AMD</vendor>
  <feature policy='require' name='x2apic'/>
  <feature policy='require' name='lahf_lm'/>
  <feature policy='require' name='misalignsse'/>
  <feature policy='disable' name='pni'/>
</cpu>
";

    fn cell(from: &str, to: &str, result: Result<CpuComparison, String>) -> Cell {
        Cell {
            from: from.into(),
            to: to.into(),
            result,
        }
    }

    #[test]
    fn an_identical_fleet_needs_no_baseline() {
        let cells = vec![
            cell("lab1", "lab2", Ok(CpuComparison::Runs("identical"))),
            cell("lab2", "lab1", Ok(CpuComparison::Runs("superset"))),
        ];
        assert!(judge(&cells).iter().all(|f| f.status == Status::Pass));
        assert!(!differ(&cells));
        let (f, b) = baseline_finding(2, None);
        assert_eq!((f.status, b), (Status::Pass, None));
    }

    #[test]
    fn a_poorer_host_is_a_warning_with_the_baseline_suggested() {
        // As libvirt 9.0 answered on the lab for an Intel CPU on the AMD host.
        let lacks = CpuComparison::Lacks(Some(
            "host CPU vendor does not match required CPU vendor Intel".into(),
        ));
        let cells = vec![
            cell("big", "small", Ok(lacks)),
            cell("small", "big", Ok(CpuComparison::Runs("superset"))),
        ];
        let f = judge(&cells);
        assert_eq!(f[0].status, Status::Warn);
        assert_eq!(
            f[0].message,
            "small cannot take host-model guests from big: host CPU vendor does not match required CPU vendor Intel"
        );
        assert_eq!(
            (f[0].host.as_deref(), f[0].peer.as_deref()),
            (Some("big"), Some("small"))
        );
        assert_eq!(f[1].status, Status::Pass);
        assert!(differ(&cells));
        let (b, base) = baseline_finding(2, Some(&Ok(LAB_BASELINE.into())));
        assert_eq!(b.status, Status::Warn);
        assert!(
            b.message.ends_with("is kvm64 with 3 features"),
            "{}",
            b.message
        );
        assert!(b.fix.unwrap().contains("<model>kvm64</model>"));
        assert_eq!(base.unwrap().model.as_deref(), Some("kvm64"));
        // Intel and AMD hosts have none (libvirt 9.0's words on the lab).
        let (none, _) = baseline_finding(
            2,
            Some(&Err("operation failed: CPU vendors do not match".into())),
        );
        assert!(none
            .message
            .contains("no common baseline: operation failed: CPU vendors do not match"));
    }
}
