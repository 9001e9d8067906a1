//! A stopped domain's definition and its move: what `evacuate
//! --include-stopped` asks of libvirt. The move is libvirt's offline
//! migration, peer to peer (`virDomainMigrateToURI3` with `OFFLINE |
//! PERSIST_DEST | UNDEFINE_SOURCE`): the definition goes, no disk is
//! copied.

use std::sync::Arc;

use virt::domain::MigrateParameters;
use virt::sys;

use super::Domain;
use crate::hypervisor::{Libvirt, LibvirtError};

impl Domain {
    /// The persistent definition (what would be defined again), with its
    /// secrets (`VIR_DOMAIN_XML_SECURE`: graphics passwords survive a
    /// restore).
    pub async fn inactive_xml(&self) -> Result<String, LibvirtError> {
        self.call("read the VM's definition", |d| {
            d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE)
        })
        .await
    }

    /// The domain's UUID.
    pub async fn uuid(&self) -> Result<String, LibvirtError> {
        self.call("read the VM's UUID", virt::domain::Domain::uuid_string)
            .await
    }

    /// Moves the (stopped) domain's definition to the libvirt at `peer`.
    pub async fn move_offline(&self, peer: &str) -> Result<(), LibvirtError> {
        let peer = peer.to_string();
        let bits = sys::VIR_MIGRATE_OFFLINE
            | sys::VIR_MIGRATE_PEER2PEER
            | sys::VIR_MIGRATE_PERSIST_DEST
            | sys::VIR_MIGRATE_UNDEFINE_SOURCE;
        self.call("move the stopped VM's definition", move |d| {
            d.migrate_to_uri3(Some(&peer), MigrateParameters::default(), bits)
        })
        .await
    }

    /// Defines `xml` on `lv` (puts a definition back).
    pub async fn define(lv: &Arc<Libvirt>, xml: &str) -> Result<(), LibvirtError> {
        let (conn, xml) = (lv.clone(), xml.to_string());
        lv.blocking("define the VM", move || {
            conn.conn().define_domain_xml(&xml).map(|_| ())
        })
        .await
    }
}
